-- The About page lists a person's consented apps (`consents::consented_apps`) by `user_id`,
-- which the primary key (app_id, user_id) cannot find: every page view read the whole
-- table. The benchmark's 10,000 consents of one app took `/about` from 218 to 628 µs.
CREATE INDEX consents_user ON consents (user_id);
