// Entrypoint of the discover task (`"databases": "all"`): the backup task definition run with the command
// ["/app/discover.cjs"], or a child process of the local runner. Reports `{ databases: [{ database, isNew }] }`.
import { runTaskMain } from '../common/task-runner';
import { runDiscover } from './run-discover';

runTaskMain('pgproof-discover', ({ logger, signal }) => runDiscover(process.env, { logger, signal }));
