/** How --model is found: precision, and for Hub ids the revision and whether the network may be used. */
import type {HubOptions} from '../model/hub.js';
import type {ResolveOptions} from '../model/resolve.js';

export function modelSource(flags: {dtype?: string; revision?: string; offline?: boolean}): ResolveOptions & HubOptions {
	return {dtype: flags.dtype, revision: flags.revision, offline: flags.offline, log: line => process.stderr.write(`${line}\n`)};
}
