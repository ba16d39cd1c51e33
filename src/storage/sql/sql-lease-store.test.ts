import { useMigratedDatabases } from '../../../test/support/migrated-databases.js';
import { describeLeaseStoreContract } from '../lease-store.contract.js';

const databases = useMigratedDatabases('leases');

describeLeaseStoreContract('SQLite', async () => databases.sqlite().leases);
describeLeaseStoreContract('Postgres', async () => databases.postgres().leases);
