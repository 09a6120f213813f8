import { distributedStatus, formatDistributedStatus } from '../distributed/status.js';
import { type Command, UsageError } from './args.js';

/** `siran status`: progress of the distributed predictions on a Redis server. */
export const statusCommand: Command = {
  name: 'status',
  summary:
    'Prints the distributed predictions on a Redis server: tiles done out of all, the rate over the last minute\n' +
    'and the time left at that rate, and the jobs waiting, running and failed with the workers listening.',
  usage: 'redis://HOST:PORT',
  positional: 'REDIS_URL',
  options: {},
  async run(values) {
    const url = values.REDIS_URL;
    if (typeof url !== 'string')
      throw new UsageError('the Redis URL is required, e.g. redis://127.0.0.1:6379');
    process.stdout.write(formatDistributedStatus(await distributedStatus(url)));
  },
};
