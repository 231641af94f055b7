/** Where a prompt comes from: the command line, or a file that must be valid UTF-8. */
import fs from 'node:fs';
import {UserError, firstLine} from '../errors.js';

export function readPromptFile(file: string): string {
	let bytes: Buffer;
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		throw new UserError(`cannot read prompt file ${file} (${firstLine(error)}): check the path`);
	}
	return decodeUtf8(bytes, `prompt file ${file}`);
}

/** Strict UTF-8 decoding; the error names the byte offset of the first bad sequence. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
	try {
		return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
	} catch {
		const offset = firstInvalidUtf8(bytes);
		throw new UserError(`${what} is not valid UTF-8 (bad byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at offset ${offset}): save it as UTF-8`);
	}
}

function firstInvalidUtf8(bytes: Uint8Array): number {
	const decoder = new TextDecoder('utf-8', {fatal: true});
	let lo = 0;
	let hi = bytes.length;
	// The longest valid prefix, by bisection (a prefix may end mid-character: allow 3 bytes of slack).
	while (lo < hi) {
		const mid = (lo + hi + 1) >> 1;
		try {
			decoder.decode(bytes.subarray(0, mid), {stream: true});
			lo = mid;
		} catch {
			hi = mid - 1;
		}
	}
	return Math.min(lo, bytes.length - 1);
}

export function promptFrom(args: {positional?: string; file?: string; fallback?: string}): string {
	if (args.file !== undefined && args.positional !== undefined) {
		throw new UserError('give the prompt either as an argument or with --prompt-file, not both');
	}
	if (args.file !== undefined) return readPromptFile(args.file);
	if (args.positional !== undefined) return args.positional;
	if (args.fallback !== undefined) return args.fallback;
	throw new UserError('no prompt: give one as an argument ("lmscope trace \\"The king said\\"") or with --prompt-file FILE');
}
