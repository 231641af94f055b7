/**
 * Reading and editing ONNX graphs with onnx-buf (protobuf-es). A GraphIndex answers the questions
 * graph discovery asks: who produces a tensor, who consumes it, is it a weight, is it an ancestor
 * of another tensor.
 */
import {create, fromBinary, toBinary} from '@bufbuild/protobuf';
import {
	ModelProtoSchema,
	ValueInfoProtoSchema,
	type GraphProto,
	type ModelProto,
	type NodeProto,
	type TensorProto,
	type ValueInfoProto,
} from 'onnx-buf';
import {UserError, firstLine} from '../errors.js';

export type {ModelProto, NodeProto, GraphProto, TensorProto, ValueInfoProto};

export function parseModel(bytes: Uint8Array, file: string): ModelProto {
	let model: ModelProto;
	try {
		model = fromBinary(ModelProtoSchema, bytes);
	} catch (error) {
		throw new UserError(
			`${file} is not a valid ONNX model (${firstLine(error)}): re-export it, or check the download was not cut short`,
		);
	}
	if (!model.graph || model.graph.node.length === 0) {
		throw new UserError(`${file} holds no ONNX graph: re-export the model, or check the file is not truncated`);
	}
	return model;
}

export function serializeModel(model: ModelProto): Uint8Array {
	return toBinary(ModelProtoSchema, model);
}

export class GraphIndex {
	readonly graph: GraphProto;
	readonly producer = new Map<string, NodeProto>();
	readonly consumers = new Map<string, NodeProto[]>();
	readonly initializers = new Map<string, TensorProto>();
	readonly inputs: string[];
	readonly outputs: string[];
	private readonly ancestorCache = new Map<string, Set<string>>();

	constructor(readonly model: ModelProto) {
		this.graph = model.graph!;
		for (const init of this.graph.initializer) this.initializers.set(init.name, init);
		for (const node of this.graph.node) {
			for (const out of node.output) if (out) this.producer.set(out, node);
			for (const input of node.input) {
				if (!input) continue;
				const list = this.consumers.get(input);
				if (list) list.push(node);
				else this.consumers.set(input, [node]);
			}
		}
		this.inputs = this.graph.input.map(i => i.name).filter(name => !this.initializers.has(name));
		this.outputs = this.graph.output.map(o => o.name);
	}

	consumersOf(tensor: string): NodeProto[] {
		return this.consumers.get(tensor) ?? [];
	}

	/** A weight: an initializer, a Constant node's output, or a weight reached through Transpose/Cast/Dequantize. */
	isWeight(tensor: string): boolean {
		if (this.initializers.has(tensor)) return true;
		const node = this.producer.get(tensor);
		if (!node) return false;
		if (node.opType === 'Constant') return true;
		if (['Transpose', 'Cast', 'DequantizeLinear', 'Identity', 'Reshape', 'Unsqueeze'].includes(node.opType)) {
			return node.input.length > 0 && node.input.every(i => !i || this.isWeight(i));
		}
		return false;
	}

	/** The initializer behind a weight tensor (through Transpose/Cast/...), if any. */
	weightInitializer(tensor: string): TensorProto | undefined {
		const init = this.initializers.get(tensor);
		if (init) return init;
		const node = this.producer.get(tensor);
		if (!node || !['Transpose', 'Cast', 'DequantizeLinear', 'Identity'].includes(node.opType)) return undefined;
		return node.input[0] ? this.weightInitializer(node.input[0]) : undefined;
	}

	/** Every tensor the given one is computed from (excluding weights). */
	ancestors(tensor: string): Set<string> {
		const cached = this.ancestorCache.get(tensor);
		if (cached) return cached;
		const seen = new Set<string>();
		const stack = [tensor];
		while (stack.length > 0) {
			const t = stack.pop()!;
			const node = this.producer.get(t);
			if (!node) continue;
			for (const input of node.input) {
				if (!input || seen.has(input) || this.initializers.has(input)) continue;
				seen.add(input);
				stack.push(input);
			}
		}
		this.ancestorCache.set(tensor, seen);
		return seen;
	}

	isAncestor(maybeAncestor: string, of: string): boolean {
		return this.ancestors(of).has(maybeAncestor);
	}

	/** The declared element type and dims of a graph input or output (undefined when it declares no tensor type). */
	declaredType(name: string): {elemType: number; dims: TensorDim[]} | undefined {
		const info = this.graph.input.find(i => i.name === name) ?? this.graph.output.find(o => o.name === name);
		if (info?.type?.value.case !== 'tensorType') return undefined;
		const tensor = info.type.value.value;
		return {elemType: tensor.elemType, dims: tensor.shape?.dim ?? []};
	}

	/** Integer attribute of a node, or the fallback. */
	intAttribute(node: NodeProto, name: string, fallback: number): number {
		const attr = node.attribute.find(a => a.name === name);
		return attr ? Number(attr.i) : fallback;
	}
}

/** A graph output with no type: ONNX Runtime infers it. */
export type TensorDim = NonNullable<Extract<NonNullable<ValueInfoProto['type']>['value'], {case: 'tensorType'}>['value']['shape']>['dim'][number];

export function untypedOutput(name: string): ValueInfoProto {
	return create(ValueInfoProtoSchema, {name});
}
