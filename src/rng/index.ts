export { freshEntropy, Generator, npRandom } from './generator.js';
export { PCG64, type PCG64State } from './pcg64.js';
export { type SeedEntropy, SeedSequence } from './seed-sequence.js';
