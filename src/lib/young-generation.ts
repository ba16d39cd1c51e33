import { setFlagsFromString } from 'node:v8';

/**
 * Starting the gateway loads tens of megabytes of modules and schemas in one burst. V8 answers a
 * burst like that by growing the young generation to its maximum, and the grown semi-spaces stay
 * resident for the life of an idle process (about 20 MB of its RSS). `bin/sluice.js` therefore
 * starts with growth held (factor 1), and `start` calls this once it listens: from then on the
 * young generation grows as usual, so a busy gateway still gets large semi-spaces and few
 * scavenges. 2 is V8's default factor.
 */
export function allowYoungGenerationGrowth(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
}
