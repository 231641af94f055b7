/**
 * Adding nodes to an ONNX graph from TypeScript: the operators lmscope inserts to recompute
 * attention probabilities inside fused operators, and the bench's synthetic models. Every name it
 * makes starts with a prefix so it cannot collide with the model's own.
 */
import {create} from '@bufbuild/protobuf';
import {AttributeProto_AttributeType, AttributeProtoSchema, NodeProtoSchema, TensorProtoSchema, type AttributeProto, type NodeProto, type TensorProto} from 'onnx-buf';

export type AttributeValue = number | number[] | string | {float: number};

export const FLOAT = 1;
export const INT32 = 6;
export const INT64 = 7;
export const BOOL = 9;

export class GraphBuilder {
	readonly nodes: NodeProto[] = [];
	readonly initializers: TensorProto[] = [];
	private counter = 0;

	constructor(readonly prefix: string) {}

	name(hint: string): string {
		return `${this.prefix}/${hint}_${this.counter++}`;
	}

	private attribute(name: string, value: AttributeValue): AttributeProto {
		if (typeof value === 'string') return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.STRING, s: new TextEncoder().encode(value)});
		if (Array.isArray(value)) return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.INTS, ints: value.map(BigInt)});
		if (typeof value === 'object') return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.FLOAT, f: value.float});
		return create(AttributeProtoSchema, {name, type: AttributeProto_AttributeType.INT, i: BigInt(value)});
	}

	/** Add a node; returns its output names. */
	op(type: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, options: {outputs?: number | string[]; domain?: string; name?: string} = {}): string[] {
		const name = options.name ?? this.name(type);
		const outputs = Array.isArray(options.outputs) ? options.outputs : Array.from({length: options.outputs ?? 1}, (_, i) => `${name}_output_${i}`);
		this.nodes.push(
			create(NodeProtoSchema, {
				name,
				opType: type,
				domain: options.domain ?? '',
				input: inputs,
				output: outputs,
				attribute: Object.entries(attributes).map(([k, v]) => this.attribute(k, v)),
			}),
		);
		return outputs;
	}

	op1(type: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, options: {domain?: string; name?: string; output?: string} = {}): string {
		return this.op(type, inputs, attributes, {...options, outputs: options.output ? [options.output] : 1})[0]!;
	}

	floats(hint: string, dims: number[], values: ArrayLike<number>): string {
		const name = this.name(hint);
		const data = Float32Array.from(values);
		this.initializers.push(create(TensorProtoSchema, {name, dims: dims.map(BigInt), dataType: FLOAT, rawData: new Uint8Array(data.buffer)}));
		return name;
	}

	ints(hint: string, values: number[], dims: number[] = [values.length]): string {
		const name = this.name(hint);
		const data = BigInt64Array.from(values.map(BigInt));
		this.initializers.push(create(TensorProtoSchema, {name, dims: dims.map(BigInt), dataType: INT64, rawData: new Uint8Array(data.buffer)}));
		return name;
	}

	scalar(hint: string, value: number): string {
		return this.floats(hint, [], [value]);
	}
}
