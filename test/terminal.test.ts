/** One cleanup routine for every exit path: the terminal comes back after a crash or a signal. */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {describe, it} from 'node:test';
import {ROOT, tempDir} from './helpers.js';

const LEAVE = '\x1b[?25h\x1b[?1049l';

function script(body: string): string {
	const file = path.join(tempDir('terminal'), 'script.ts');
	fs.writeFileSync(file, `import {enterFullScreen} from ${JSON.stringify(path.join(ROOT, 'source/ui/terminal.ts'))};\n${body}\n`);
	return file;
}

describe('terminal restore', () => {
	it('an uncaught exception restores the screen and prints one line', () => {
		const file = script(`enterFullScreen(process); setTimeout(() => { throw new Error('boom\\nsecond line'); }, 10);`);
		const result = spawnSync(process.execPath, ['--import', 'tsx', file], {encoding: 'utf8', cwd: ROOT});
		assert.equal(result.status, 1);
		assert.ok(result.stdout.startsWith('\x1b[?1049h'), 'alternate screen on');
		assert.ok(result.stdout.endsWith(LEAVE), 'cursor and normal screen back');
		assert.equal(result.stderr, 'lmscope: internal error: boom\n');
	});

	it('an unhandled rejection too', () => {
		const file = script(`enterFullScreen(process); setTimeout(() => { void Promise.reject(new Error('nope')); }, 10);`);
		const result = spawnSync(process.execPath, ['--import', 'tsx', file], {encoding: 'utf8', cwd: ROOT});
		assert.equal(result.status, 1);
		assert.ok(result.stdout.endsWith(LEAVE));
		assert.equal(result.stderr, 'lmscope: internal error: nope\n');
	});

	for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129], ['SIGINT', 130]] as const) {
		it(`${signal} restores the screen and exits ${code}`, async () => {
			const file = script(`enterFullScreen(process); process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`);
			const child = spawn(process.execPath, ['--import', 'tsx', file], {cwd: ROOT});
			let stdout = '';
			child.stdout.setEncoding('utf8');
			await new Promise<void>(resolve => {
				child.stdout.on('data', chunk => {
					stdout += chunk;
					if (stdout.includes('ready')) resolve();
				});
			});
			child.kill(signal);
			const status = await new Promise<number | null>(resolve => child.on('exit', resolve));
			assert.equal(status, code);
			assert.ok(stdout.endsWith(LEAVE), `restored: ${JSON.stringify(stdout.slice(-20))}`);
		});
	}
});
