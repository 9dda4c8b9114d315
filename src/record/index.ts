/** Recording: every tick of a run to MCAP (off the tick path), read back, replayed against a policy. */
export { attachRecorder, loadZstd, openRecordFile, prepareRecorderThread } from './McapRecorder.ts';
export type { Recorder, RecorderOptions, RecorderSummary, RecordingFailure, RecordingMeta, RecordedEpisode } from './McapRecorder.ts';
export { readRecording } from './readRecording.ts';
export type { Recording, RecordedTick } from './readRecording.ts';
export { assertRecording, comparePolicy, recordingSummary, recordedManifest, recordedSpec } from './replay.ts';
export type { PolicyDiff, JointDiff } from './replay.ts';
export { topics, metadataNames, schemas } from './channels.ts';
export * from './playback.ts';
export { DRAWING_SCHEMA, digestOf, drawingFileProblem, drawingMeta, drawingOnRecord, fileDigest, readFileBytes, rootOnRecord, rootSetup, servedFileProblem, servedFileRefusal, servedModelOf, servedModelOnRecord, servedModelText } from './drawingMeta.ts';
export type { DrawingOnRecord, DrawingSetup, FileBytes, FileDigest, RecordedDrawing, RootSetup, ServedFile, ServedModel } from './drawingMeta.ts';
