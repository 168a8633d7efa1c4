import type { Command } from 'commander';

/** Adds the flags that find the deployed stack and the credentials to reach it (`start`, `history`). */
export function addStackOptions(command: Command): Command {
  return command
    .option('--stack <name>', 'the deployed stack (default: PgProof-<name> from --config or ./pgproof.config.json)')
    .option('--config <file>', 'the configuration file the stack was deployed from', 'pgproof.config.json');
}

/** Adds `--region` and `--profile`. */
export function addAwsOptions(command: Command): Command {
  return command
    .option(
      '--region <region>',
      'the stack\'s AWS region (default: "region" of the configuration file, else the AWS CLI default)',
    )
    .option(
      '--profile <name>',
      'the AWS profile whose credentials to use (default: AWS_PROFILE, else the default credentials)',
    );
}
