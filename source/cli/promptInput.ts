/** Where a prompt comes from: the command line, or a file that must be valid UTF-8. */
import fs from 'node:fs';
import {UserError, firstLine} from '../errors.js';

export function readPromptFile(file: string): string {
	return readTextFile(file, 'prompt file');
}

/** A UTF-8 text file named by a flag; errors name the flag and the file. */
export function readTextFile(file: string, what: string): string {
	let bytes: Buffer;
	try {
		bytes = fs.readFileSync(file);
	} catch (error) {
		throw new UserError(`cannot read ${what} ${file} (${firstLine(error)}): check the path`);
	}
	return decodeUtf8(bytes, `${what} ${file}`);
}

/** Strict UTF-8 decoding; the error names the byte offset of the first bad sequence. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
	try {
		return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
	} catch {
		const offset = Math.max(0, firstInvalidUtf8(bytes));
		throw new UserError(`${what} is not valid UTF-8 (bad byte 0x${bytes[offset]!.toString(16).padStart(2, '0')} at offset ${offset}): save it as UTF-8`);
	}
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (RFC 3629: no overlongs, no surrogates). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
	let i = 0;
	while (i < bytes.length) {
		const b = bytes[i]!;
		let need: number;
		let min: number;
		if (b < 0x80) {
			i++;
			continue;
		} else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
		else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
		else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
		else return i;
		let code = b & (0x3f >> need);
		for (let k = 1; k <= need; k++) {
			const c = bytes[i + k];
			if (c === undefined || (c & 0xc0) !== 0x80) return i;
			code = (code << 6) | (c & 0x3f);
		}
		if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
		i += need + 1;
	}
	return -1;
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
