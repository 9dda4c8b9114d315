/** LeRobotDataset v3.0: export from MCAP, record straight from a loop, read back. */
export { DatasetWriter } from './DatasetWriter.ts';
export type { DatasetWriterOptions, DatasetSummary } from './DatasetWriter.ts';
export { DatasetStore, repairDataset } from './DatasetStore.ts';
export type { EpisodeData, EpisodeRow } from './DatasetStore.ts';
export { exportLerobot, mcapInputs } from './exportLerobot.ts';
export type { ExportOptions, ExportSummary } from './exportLerobot.ts';
export { provenance, manifestControlMode, defaultTask, AXON_VERSION } from './provenance.ts';
export * from './format.ts';
export { readDataset, readEpisode, datasetRecording, datasetInfoSummary } from './readDataset.ts';
export type { Dataset } from './readDataset.ts';
