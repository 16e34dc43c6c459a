-- The due invitations' index holds only what can be due: queued rows. The sending workers'
-- claim reads it in order (`next_attempt_at, created_at, recipient`, as before) and takes its
-- rows out of it; a finished send no longer moves an entry at all, where the index over every
-- status moved each row twice (queued → sending → sent). The rows being sent get an index of
-- their own, which holds only the sends of the moment, for settling what a dead run left
-- `sending`.
DROP INDEX invitations_due;
CREATE INDEX invitations_due ON invitations (next_attempt_at, created_at, recipient) WHERE status = 'queued';
CREATE INDEX invitations_sending ON invitations (claimed_by) WHERE status = 'sending';
