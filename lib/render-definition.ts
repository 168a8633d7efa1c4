import { Stack } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/** A plain ASL document (Amazon States Language). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
  readonly [key: string]: unknown;
}

/** Turns an unresolved CloudFormation value (`{Ref}`, `{Fn::GetAtt}`, …) into the string that stands for it. */
export type IntrinsicPlaceholder = (intrinsic: Record<string, unknown>) => string;

const PSEUDO: Record<string, string> = {
  'AWS::Region': 'local',
  'AWS::Partition': 'aws',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'pgproof-local',
};

/** Default placeholders: plausible pseudo parameters (the console URL stays a URL), `ref:<id>`, `<id>.<attribute>`. */
export const defaultPlaceholder: IntrinsicPlaceholder = (intrinsic) => {
  const ref = intrinsic.Ref;
  if (typeof ref === 'string') return PSEUDO[ref] ?? `ref:${ref}`;
  const getAtt = intrinsic['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt.join('.');
  return `intrinsic:${Object.keys(intrinsic)[0] ?? 'unknown'}`;
};

function flatten(value: unknown, placeholder: IntrinsicPlaceholder): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const join = (value as Record<string, unknown>)['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((part) => flatten(part, placeholder)).join(join[0]);
    }
    return placeholder(value as Record<string, unknown>);
  }
  throw new Error(`cannot render a definition part of type ${typeof value}`);
}

/**
 * Renders a state machine's definition to plain ASL JSON, exactly as the synthesized template holds it, with every
 * CloudFormation intrinsic (ARNs of functions, task definitions, the region…) replaced by a placeholder string.
 * This is what the local runner executes: one definition, two runtimes (AWS and aws-local-stepfunctions).
 */
export function renderDefinition(
  stateMachine: sfn.StateMachine,
  placeholder: IntrinsicPlaceholder = defaultPlaceholder,
): AslDefinition {
  const cfn = stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const resolved: unknown = Stack.of(stateMachine).resolve(cfn.definitionString);
  return JSON.parse(flatten(resolved, placeholder)) as AslDefinition;
}
