import { useMigratedDatabases } from '../../../test/support/migrated-databases.js';
import { describeAlertStateStoreContract } from '../alert-state-store.contract.js';

const databases = useMigratedDatabases('alert-states');

describeAlertStateStoreContract('SQLite', async () => databases.sqlite().alertStates);
describeAlertStateStoreContract('Postgres', async () => databases.postgres().alertStates);
