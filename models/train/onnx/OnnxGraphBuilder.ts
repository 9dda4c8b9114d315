/**
 * Incremental builder for an OnnxGraph that checks names as it goes: every node input must
 * already exist (graph input, initializer or an earlier node's output), every value is
 * produced once, and every graph output is produced by the end. Nodes are thus kept in
 * topological order, as ONNX requires.
 */
import { OnnxError } from './onnxModel.ts';
import type { Dim, ElemType, OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnxModel.ts';

export class OnnxGraphBuilder {
  readonly name: string;
  docString?: string;
  private readonly _nodes: OnnxNode[] = [];
  private readonly _inits: OnnxTensor[] = [];
  private readonly _inputs: OnnxValueInfo[] = [];
  private readonly _outputs: OnnxValueInfo[] = [];
  private readonly _defined = new Set<string>();
  private readonly _nodeNames = new Set<string>();

  constructor(name: string, docString?: string) {
    this.name = name;
    this.docString = docString;
  }

  private _define(name: string, what: string): void {
    if (typeof name !== 'string' || name === '') {
      throw new OnnxError('BAD_NAME', `${what} needs a non-empty name`, { what, name });
    }
    if (this._defined.has(name)) {
      throw new OnnxError('DUPLICATE_NAME', `value ${name} is defined twice (${what})`, { what, name });
    }
    this._defined.add(name);
  }

  /** Declare a graph input; returns its name. */
  input(name: string, elemType: ElemType, shape: readonly Dim[], docString?: string): string {
    this._define(name, 'graph input');
    this._inputs.push({ name, elemType, shape: shape.slice(), docString });
    return name;
  }

  /** Add a constant tensor (weights); returns its name. `data` is copied. */
  initializer(name: string, elemType: ElemType, dims: readonly number[], data: Float32Array | Int32Array | BigInt64Array): string {
    this._define(name, 'initializer');
    this._inits.push({ name, elemType, dims: dims.slice(), data: data.slice() });
    return name;
  }

  /** Add a node; returns its output names. Inputs must be defined already ('' = omitted optional input). */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes?: Record<string, OnnxAttribute>, name?: string): string[] {
    for (const i of inputs) {
      if (i !== '' && !this._defined.has(i)) {
        throw new OnnxError('UNDEFINED_VALUE', `node ${name ?? opType} reads ${i}, which nothing defines before it`, { node: name ?? opType, value: i });
      }
    }
    if (name !== undefined) {
      if (this._nodeNames.has(name)) throw new OnnxError('DUPLICATE_NAME', `node name ${name} used twice`, { what: 'node', name });
      this._nodeNames.add(name);
    }
    for (const o of outputs) this._define(o, `output of node ${name ?? opType}`);
    this._nodes.push({ opType, inputs: inputs.slice(), outputs: outputs.slice(), attributes: attributes ? { ...attributes } : undefined, name });
    return outputs.slice();
  }

  /** Declare a graph output; the value must be defined by the time `build` runs. */
  output(name: string, elemType: ElemType, shape: readonly Dim[], docString?: string): string {
    this._outputs.push({ name, elemType, shape: shape.slice(), docString });
    return name;
  }

  build(): OnnxGraph {
    for (const o of this._outputs) {
      if (!this._defined.has(o.name)) {
        throw new OnnxError('UNDEFINED_VALUE', `graph output ${o.name} is never produced`, { value: o.name });
      }
    }
    return {
      name: this.name,
      nodes: this._nodes.slice(),
      initializers: this._inits.slice(),
      inputs: this._inputs.slice(),
      outputs: this._outputs.slice(),
      docString: this.docString,
    };
  }
}
