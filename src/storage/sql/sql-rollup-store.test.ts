import { useMigratedDatabases } from '../../../test/support/migrated-databases.js';
import { describeRollupStoreContract } from '../rollup-store.contract.js';

const databases = useMigratedDatabases('rollups');

describeRollupStoreContract('SQLite', async () => databases.sqlite());
describeRollupStoreContract('Postgres', async () => databases.postgres());
