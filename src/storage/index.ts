export { loadOrCreateAdminKey } from './admin-key-file.js';
export { stateDirectory } from './state-directory.js';
