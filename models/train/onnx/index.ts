export { ProtoWriter, float32LeBytes } from './protobuf.ts';
export { ATTRIBUTE_TYPE, DATA_TYPE, OnnxError, attr, encodeModel } from './onnxModel.ts';
export type { Dim, ElemType, OnnxAttribute, OnnxErrorCode, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnxModel.ts';
export { OnnxGraphBuilder } from './OnnxGraphBuilder.ts';
export { ONNX_IR_VERSION, ONNX_OPSET, mlpToOnnx, sha256Hex, writeOnnxFile } from './writeOnnx.ts';
export type { MlpToOnnxOptions } from './writeOnnx.ts';
