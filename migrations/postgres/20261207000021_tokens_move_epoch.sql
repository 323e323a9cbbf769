-- See migrations/sqlite for why the access epoch moves with access tokens and grants.
CREATE CONSTRAINT TRIGGER tokens_change_moves_epoch AFTER UPDATE OR DELETE ON tokens
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER grants_end_moves_epoch AFTER DELETE ON grants
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_access_epoch();

CREATE CONSTRAINT TRIGGER grants_change_moves_epoch AFTER UPDATE ON grants
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
WHEN ((OLD.id, OLD.app_id, OLD.user_id, OLD.scope, OLD.nonce, OLD.auth_time, OLD.created_at,
       OLD.origin, OLD.sid)
      IS DISTINCT FROM (NEW.id, NEW.app_id, NEW.user_id, NEW.scope, NEW.nonce, NEW.auth_time,
                        NEW.created_at, NEW.origin, NEW.sid))
EXECUTE FUNCTION move_access_epoch();
