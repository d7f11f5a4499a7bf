// Public entry of the collector: records -> final record per task -> dataset files.
export { parseRecordText, isTaskRecord, type ParsedRecords } from './parse-records.js';
export { readRecordFiles, type BadLine } from './read-records.js';
export { selectFinal } from './select-final.js';
export { buildDataset, METADATA_COLUMNS, type BuildDatasetOptions } from './build-dataset.js';
export { renderCsvChunks, csvField } from './csv.js';
export { writeDataset, readDatasetParquet, encodeParquet } from './write-dataset.js';
export { collect, type CollectResult, type CollectOptions } from './collect.js';
