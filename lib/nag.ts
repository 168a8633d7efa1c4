import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One wildcard that cdk-nag's AwsSolutions-IAM5 reports, and why it is the narrowest grant possible. */
export interface WildcardAcknowledgement {
  /** The wildcard action, e.g. `kms:GenerateDataKey*`. */
  readonly action?: string;
  /** The wildcard resource as written in the policy (tokens allowed), e.g. `bucket.arnForObjects('pgproof/*')`. */
  readonly resource?: string;
  readonly reason: string;
}

/** How cdk-nag names a resource in an IAM5 finding: intrinsics become `<LogicalId.Attr>` / `<Ref>`. */
function nagResourceName(scope: IConstruct, resource: string): string {
  const flatten = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(flatten).join('');
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::Join'])) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(sep);
    }
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    return JSON.stringify(v);
  };
  return flatten(Stack.of(scope).resolve(resource));
}

/** Acknowledges exactly the listed IAM5 wildcards on `scope` (one finding each), each with its reason. */
export function acknowledgeWildcards(scope: IConstruct, wildcards: readonly WildcardAcknowledgement[]): void {
  for (const w of wildcards) {
    const finding = w.action ? `Action::${w.action}` : `Resource::${nagResourceName(scope, w.resource!)}`;
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason: w.reason });
  }
}

/** Acknowledges one whole cdk-nag AwsSolutions rule on `scope`. */
export function acknowledgeRule(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
