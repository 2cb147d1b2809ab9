import { mediaSuite } from './support/media-suite.js';

mediaSuite('local');
