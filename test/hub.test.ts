/**
 * Hugging Face Hub ids. There is no network here, so a local HTTP server answers like the Hub
 * (`/{id}/resolve/{revision}/{file}`, 404 for missing files, 401 for a gated repo without a token)
 * from a folder laid out like a Hub ONNX repo; HF_ENDPOINT points lmscope at it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';
import {dtypeSuffix, fetchHubModel, hubFolder, isHubId} from '../source/model/hub.js';
import {DEFAULT_MODEL, ROOT, runCli, runCliAsync, tempDir} from './helpers.js';

const PRECISION = path.join(ROOT, 'test', 'fixtures', 'precision');

/** A repo folder like onnx-community's: config and tokenizer at the top, graphs under onnx/. */
function hubRepo(root: string, withFp16: boolean): void {
	fs.mkdirSync(path.join(root, 'onnx'), {recursive: true});
	for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(DEFAULT_MODEL, file), path.join(root, file));
	fs.copyFileSync(path.join(DEFAULT_MODEL, 'model.onnx'), path.join(root, 'onnx', 'model.onnx'));
	if (withFp16) fs.copyFileSync(path.join(PRECISION, 'model_fp16.onnx'), path.join(root, 'onnx', 'model_fp16.onnx'));
}

describe('Hugging Face Hub ids', () => {
	const served = tempDir('hub-served');
	const requests: string[] = [];
	let server: http.Server;
	let endpoint = '';
	const hasFp16 = fs.existsSync(path.join(PRECISION, 'model_fp16.onnx'));

	before(async () => {
		hubRepo(path.join(served, 'lmscope-test', 'tiny-kjv', 'main'), hasFp16);
		hubRepo(path.join(served, 'lmscope-test', 'tiny-kjv', 'v1'), false);
		hubRepo(path.join(served, 'lmscope-test', 'gated', 'main'), false);
		fs.mkdirSync(path.join(served, 'lmscope-test', 'truncated', 'main', 'onnx'), {recursive: true});
		hubRepo(path.join(served, 'lmscope-test', 'truncated', 'main'), false);
		server = http.createServer((request, response) => {
			requests.push(`${request.method} ${request.url}`);
			const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(request.url ?? '');
			if (!match) return void response.writeHead(400).end();
			const [, id, revision, file] = match;
			if (id === 'lmscope-test/gated' && request.headers.authorization !== 'Bearer secret-token') return void response.writeHead(401).end('Access to model is restricted');
			const full = path.join(served, id!, decodeURIComponent(revision!), file!);
			if (!fs.existsSync(full)) return void response.writeHead(404).end('Entry not found');
			const body = fs.readFileSync(full);
			response.writeHead(200, {'content-length': body.length});
			if (id === 'lmscope-test/truncated' && file === 'onnx/model.onnx') {
				// The connection drops half-way through the graph.
				response.write(body.subarray(0, body.length >> 1), () => response.destroy());
				return;
			}
			response.end(body);
		});
		await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
		endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	after(() => server.close());

	const fresh = () => ({HF_ENDPOINT: endpoint, LMSCOPE_CACHE_DIR: tempDir('hub-cache'), HF_HUB_OFFLINE: '', TRANSFORMERS_OFFLINE: '', HF_TOKEN: ''});

	it('tells Hub ids from paths', () => {
		assert.equal(isHubId('onnx-community/Qwen2.5-0.5B-Instruct'), true);
		assert.equal(isHubId('Xenova/gpt2'), true);
		assert.equal(isHubId('./models/default'), false);
		assert.equal(isHubId('models/default'), false, 'an existing relative path is a path');
		assert.equal(isHubId('/abs/path'), false);
		assert.equal(isHubId('org/model.onnx'), false);
		assert.equal(dtypeSuffix('quantized'), '_quantized');
		assert.throws(() => dtypeSuffix('fp8'), /--dtype must be one of/);
	});

	it('downloads into the cache, runs like the local folder, then works offline from the cache', async () => {
		const env = fresh();
		const local = runCli(['trace', 'In the beginning God', '--json']);
		assert.equal(local.code, 0, local.stderr);
		requests.length = 0;
		const first = await runCliAsync(['trace', '--model', 'lmscope-test/tiny-kjv', 'In the beginning God', '--json'], env);
		assert.equal(first.code, 0, first.stderr);
		const body = (text: string) => {
			const json = JSON.parse(text) as {model: {name: string}};
			return {...json, model: undefined};
		};
		assert.deepEqual(body(first.stdout), body(local.stdout), 'the same numbers as the model run from its folder');
		assert.equal((JSON.parse(first.stdout) as {model: {name: string}}).model.name, 'lmscope-test/tiny-kjv');
		assert.ok(requests.includes('GET /lmscope-test/tiny-kjv/resolve/main/onnx/model.onnx'), requests.join('\n'));
		assert.match(first.stderr, /downloaded onnx\/model\.onnx/);
		const cached = path.join(env.LMSCOPE_CACHE_DIR, 'lmscope-test', 'tiny-kjv');
		assert.ok(fs.existsSync(path.join(cached, 'onnx', 'model.onnx')), 'transformers.js cache layout: {cache}/{id}/{file}');
		assert.deepEqual(fs.readdirSync(path.join(cached, 'onnx')), ['model.onnx'], 'no temporary files left');

		requests.length = 0;
		const offline = await runCliAsync(['trace', '--model', 'lmscope-test/tiny-kjv', 'In the beginning God', '--json', '--offline'], env);
		assert.equal(offline.code, 0, offline.stderr);
		assert.deepEqual(body(offline.stdout), body(local.stdout));
		assert.deepEqual(requests, [], '--offline never touches the network');
		const envOffline = await runCliAsync(['graph', 'lmscope-test/tiny-kjv'], {...env, HF_HUB_OFFLINE: '1'});
		assert.equal(envOffline.code, 0, envOffline.stderr);
		assert.deepEqual(requests, [], 'HF_HUB_OFFLINE=1 too');
	});

	it('--offline names the missing file and the cache when the model was never downloaded', async () => {
		const env = fresh();
		const result = await runCliAsync(['trace', '--model', 'lmscope-test/tiny-kjv', 'x', '--offline'], env);
		assert.equal(result.code, 2);
		assert.match(result.stderr, /^lmscope: lmscope-test\/tiny-kjv: config\.json is not in the cache \(.*\) and lmscope is offline/);
		assert.equal(result.stderr.trim().split('\n').length, 1);
	});

	it('--revision fetches that revision into its own cache folder', async () => {
		const env = fresh();
		requests.length = 0;
		const result = await runCliAsync(['graph', 'lmscope-test/tiny-kjv', '--revision', 'v1'], env);
		assert.equal(result.code, 0, result.stderr);
		assert.ok(requests.every(r => r.includes('/resolve/v1/')), requests.join('\n'));
		assert.ok(fs.existsSync(path.join(hubFolder('lmscope-test/tiny-kjv', 'v1', env), 'onnx', 'model.onnx')));
		const missing = await runCliAsync(['graph', 'lmscope-test/tiny-kjv', '--revision', 'nope'], env);
		assert.equal(missing.code, 2);
		assert.match(missing.stderr, /lmscope-test\/tiny-kjv@nope has no config\.json \(HTTP 404.*no local folder lmscope-test\/tiny-kjv exists either\).*--revision/);
	});

	it('--dtype picks the precision\'s file, and says which files were looked for when the repo has none', {skip: hasFp16 ? false : 'test/fixtures/precision/model_fp16.onnx not built'}, async () => {
		const env = fresh();
		requests.length = 0;
		const result = await runCliAsync(['trace', '--model', 'lmscope-test/tiny-kjv', '--dtype', 'fp16', 'In the beginning', '--json'], env);
		assert.equal(result.code, 0, result.stderr);
		assert.ok(requests.includes('GET /lmscope-test/tiny-kjv/resolve/main/onnx/model_fp16.onnx'));
		assert.ok(!requests.some(r => r.endsWith('/onnx/model.onnx')), 'the fp32 graph is not downloaded');
		const none = await runCliAsync(['graph', 'lmscope-test/tiny-kjv', '--dtype', 'bnb4'], env);
		assert.equal(none.code, 2);
		assert.match(none.stderr, /no ONNX file for --dtype bnb4 \(looked for model_bnb4\.onnx, onnx\/model_bnb4\.onnx, onnx\/decoder_model_bnb4\.onnx/);
	});

	it('gated models need HF_TOKEN, which is sent as a bearer token', async () => {
		const env = fresh();
		const refused = await runCliAsync(['graph', 'lmscope-test/gated'], env);
		assert.equal(refused.code, 2);
		assert.match(refused.stderr, /needs authorization \(HTTP 401\).*set HF_TOKEN/);
		const allowed = await runCliAsync(['graph', 'lmscope-test/gated'], {...env, HF_TOKEN: 'secret-token'});
		assert.equal(allowed.code, 0, allowed.stderr);
	});

	it('unknown repos, unreachable endpoints and dropped downloads give one clear line and leave no partial file', async () => {
		const env = fresh();
		const unknown = await runCliAsync(['graph', 'nobody/nothing'], env);
		assert.equal(unknown.code, 2);
		assert.match(unknown.stderr, /^lmscope: nobody\/nothing has no config\.json \(HTTP 404/);
		const closed = await runCliAsync(['graph', 'lmscope-test/tiny-kjv'], {...env, HF_ENDPOINT: 'http://127.0.0.1:9'});
		assert.equal(closed.code, 2);
		assert.match(closed.stderr, /^lmscope: cannot reach http:\/\/127\.0\.0\.1:9 for lmscope-test\/tiny-kjv, which is not a local folder either .*--offline/);
		const dropped = await runCliAsync(['graph', 'lmscope-test/truncated'], env);
		assert.equal(dropped.code, 2, dropped.stderr);
		assert.match(dropped.stderr, /downloading onnx\/model\.onnx was interrupted/);
		const onnxDir = path.join(env.LMSCOPE_CACHE_DIR, 'lmscope-test', 'truncated', 'onnx');
		assert.deepEqual(fs.existsSync(onnxDir) ? fs.readdirSync(onnxDir) : [], [], 'no truncated graph in the cache');
	});

	it('fetchHubModel returns the cached folder without the network once everything is there', async () => {
		const env = {...fresh()};
		const folder = await fetchHubModel('lmscope-test/tiny-kjv', {env});
		requests.length = 0;
		assert.equal(await fetchHubModel('lmscope-test/tiny-kjv', {env: {...env, HF_ENDPOINT: 'http://127.0.0.1:9'}}), folder);
	});
});
