/** `lmscope graph MODEL`: what discovery found, per layer, without running the model. */
import type {LoadedGraph} from '../model/loadGraph.js';

export function graphCommand(file: string, loaded: LoadedGraph, json: boolean): string {
	const {map, index} = loaded;
	if (json) return JSON.stringify({file, ...map}, null, 2);
	const lines = [
		`graph ${file}: ${index.graph.node.length} nodes, ${index.initializers.size} initializers`,
		`inputs: ${map.inputs.inputIds}${map.inputs.attentionMask ? `, ${map.inputs.attentionMask}` : ''}${map.inputs.positionIds ? `, ${map.inputs.positionIds}` : ''}${map.inputs.tokenTypeIds ? `, ${map.inputs.tokenTypeIds} (all 0)` : ''} (${map.inputs.integerType})` +
			(map.inputs.cache.length > 0 ? `; KV cache: ${map.inputs.cache.length} past inputs (${map.inputs.cache[0]!.past} -> ${map.inputs.cache[0]!.present}, ...)` : '; no KV cache'),
		`logits: ${map.logits}`,
		`embeddings (residual before block 0): ${map.embedding}`,
		`token embedding rows: ${map.embeddingRows}`,
		`found by: attention ${map.sources.attention}, residual ${map.sources.residual}, mlp ${map.sources.mlp}`,
		'',
	];
	map.layers.forEach((layer, l) => {
		lines.push(`layer ${l}`, `  attention probabilities: ${layer.attention}`, `  residual stream after block: ${layer.residual}`, `  MLP activation: ${layer.mlp}`);
	});
	if (map.task === 'classification') {
		lines.push('', `classification head (the class lens applies it to every layer): ${map.finalNorm.join(' -> ') || '(none found: class lens unavailable)'}`, `classifier weight: ${map.unembedding || '(not found)'}`);
	} else {
		lines.push('', `final norm: ${map.finalNorm.join(' -> ') || '(none found: logit lens unavailable)'}`, `unembedding: ${map.unembedding || '(not found)'}`);
	}
	for (const note of map.notes) lines.push(`note: ${note}`);
	return lines.join('\n');
}
