export { type AllocationMeasurement, exposeGc, measureAllocation } from './alloc.js';
export { describeMachine } from './machine.js';
export { median, medianOf } from './stats.js';
export { type Cell, formatNumber, formatTable, printTable } from './table.js';
export { type CpuMeasurement, calibrateCount, measureCpu } from './timing.js';
