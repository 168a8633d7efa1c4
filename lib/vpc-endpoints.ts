import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface TaskVpcEndpointsProps {
  readonly vpc: ec2.IVpc;
  /** The tasks' subnets: the interface endpoints are placed there, the S3 gateway on their route tables. */
  readonly subnets: ec2.SubnetSelection;
  /** The tasks' security groups: each may reach the interface endpoints on HTTPS. */
  readonly taskSecurityGroups: ec2.ISecurityGroup[];
}

/**
 * What the Fargate tasks reach without a NAT gateway, as interface endpoints (with private DNS, so the SDKs need no
 * endpoint settings). KMS is not among them: the tasks never call KMS themselves (S3 and Secrets Manager do).
 */
export const TASK_INTERFACE_ENDPOINTS = {
  /** Image pulls: the registry API ... */
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  /** ... and the Docker registry itself (the layers come from S3, through the gateway endpoint). */
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  /** The awslogs log driver. */
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  /** The task token: SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. */
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  /** The backup engine reads the database password at run time. */
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
} as const;

/** The VPC endpoints the backup and verify tasks need in private subnets without a NAT gateway. */
export class TaskVpcEndpoints extends Construct {
  /** Admits HTTPS from the tasks' security groups to the interface endpoints. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The S3 gateway endpoint (backups and ECR's image layers). */
  public readonly s3: ec2.GatewayVpcEndpoint;
  public readonly interfaceEndpoints: Record<keyof typeof TASK_INTERFACE_ENDPOINTS, ec2.InterfaceVpcEndpoint>;

  constructor(scope: Construct, id: string, props: TaskVpcEndpointsProps) {
    super(scope, id);
    const subnets = props.vpc.selectSubnets(props.subnets).subnets;
    const withoutRouteTable = subnets.filter((s) => !s.routeTable?.routeTableId).map((s) => s.subnetId);
    if (withoutRouteTable.length > 0) {
      throw new Error(
        `TaskVpcEndpoints: the S3 gateway endpoint needs the route table of every task subnet; none is known for ${withoutRouteTable.join(', ')} ` +
          '(configuration: vpc.privateRouteTableIds; CDK: privateSubnetRouteTableIds when importing the VPC)',
      );
    }

    this.s3 = new ec2.GatewayVpcEndpoint(this, 'S3', {
      vpc: props.vpc,
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [props.subnets],
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'pgproof VPC endpoints: HTTPS from the backup and verify tasks',
      allowAllOutbound: false,
    });
    for (const group of props.taskSecurityGroups) {
      this.securityGroup.addIngressRule(
        ec2.Peer.securityGroupId(group.securityGroupId),
        ec2.Port.tcp(443),
        'HTTPS from a pgproof task',
      );
    }

    const endpoint = (name: keyof typeof TASK_INTERFACE_ENDPOINTS) =>
      new ec2.InterfaceVpcEndpoint(this, name, {
        vpc: props.vpc,
        service: TASK_INTERFACE_ENDPOINTS[name],
        subnets: props.subnets,
        securityGroups: [this.securityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    this.interfaceEndpoints = {
      EcrApi: endpoint('EcrApi'),
      EcrDocker: endpoint('EcrDocker'),
      Logs: endpoint('Logs'),
      StepFunctions: endpoint('StepFunctions'),
      SecretsManager: endpoint('SecretsManager'),
    };
  }
}
