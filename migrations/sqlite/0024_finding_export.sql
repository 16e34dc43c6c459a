-- The findings export (`store/finding_export.rs`) reads in keyset pages by check time, then
-- finding id: the latest checks through the campaigns in the order of their latest check, all
-- checks through the findings in the order of their check's time (a finding's `created_at` is
-- its check's `checked_at`). The dashboard counts checks per day from the third.
CREATE INDEX campaigns_latest_checked ON campaigns (latest_checked_at);
CREATE INDEX findings_created ON findings (created_at, id);
CREATE INDEX checks_checked ON checks (checked_at);
