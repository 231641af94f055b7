/**
 * IEEE 754 half precision <-> float32, for models exported in fp16. Node 20 has no Float16Array:
 * onnxruntime-node then hands float16 tensors over as Uint16Array bit patterns (on runtimes with
 * Float16Array it uses that). Written here rather than taken from a polyfill package because the
 * polyfills wrap every element access in a Proxy, far too slow for whole attention tensors; the
 * conversion is exact (tested on all 65,536 bit patterns).
 */

const view = new DataView(new ArrayBuffer(4));

/** Half-precision bits to the float32 value they denote (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
	const sign = bits & 0x8000 ? -1 : 1;
	const exponent = (bits >> 10) & 0x1f;
	const mantissa = bits & 0x3ff;
	if (exponent === 0) return sign * mantissa * 2 ** -24; // zero and subnormals
	if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
	return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** The nearest half (round to nearest, ties to even), as bits; overflow goes to infinity. */
export function floatToHalf(value: number): number {
	view.setFloat32(0, value);
	const x = view.getUint32(0);
	const sign = (x >>> 16) & 0x8000;
	const exponent = (x >>> 23) & 0xff;
	let mantissa = x & 0x7fffff;
	if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
	const e = exponent - 127 + 15;
	if (e >= 0x1f) return sign | 0x7c00;
	if (e <= 0) {
		if (e < -10) return sign; // below half the smallest subnormal
		mantissa |= 0x800000; // the implicit leading bit
		const shift = 14 - e;
		const half = mantissa >>> shift;
		const rest = mantissa & ((1 << shift) - 1);
		const midpoint = 1 << (shift - 1);
		return sign | (half + (rest > midpoint || (rest === midpoint && half & 1) ? 1 : 0));
	}
	const half = (e << 10) | (mantissa >>> 13);
	const rest = mantissa & 0x1fff;
	// A carry out of the mantissa correctly bumps the exponent (and 65520+ becomes infinity).
	return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** A tensor's float data as Float32Array, whatever its storage (float32, Uint16Array halves, Float16Array). */
export function asFloat32(data: unknown): Float32Array {
	if (data instanceof Float32Array) return data;
	if (data instanceof Uint16Array) {
		const out = new Float32Array(data.length);
		for (let i = 0; i < data.length; i++) out[i] = halfToFloat(data[i]!);
		return out;
	}
	if (ArrayBuffer.isView(data) && 'length' in data) return Float32Array.from(data as unknown as ArrayLike<number>);
	throw new Error('asFloat32: not a float tensor');
}

export function toHalfBits(values: Float32Array): Uint16Array {
	const out = new Uint16Array(values.length);
	for (let i = 0; i < values.length; i++) out[i] = floatToHalf(values[i]!);
	return out;
}
