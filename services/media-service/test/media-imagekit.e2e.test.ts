import { mediaSuite } from './support/media-suite.js';

// ImageKit through the local fake (test/support/imagekit-fake.ts): no internet needed.
mediaSuite('imagekit');
