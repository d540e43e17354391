/** `floorwatch plant ...`: the command tree lives with the plant (plant/cli.ts), so plant/ never imports cli/. */
export { registerPlant } from '../../plant/cli.js';
