-- The promise question: what the customer says happened with the offer, stored with the answer
-- (the last answer wins, as for the score): used | location_closed | unavailable | offer_ended |
-- did_not_try | other.
ALTER TABLE invitations ADD COLUMN reason TEXT;
