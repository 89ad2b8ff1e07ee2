-- illhub schema. Works on MariaDB 10.11+ and MySQL 8. Idempotent: `illctl migrate`
-- applies it on every start. All DATETIME columns hold UTC; calendar DATEs are
-- Asia/Shanghai days. Changes are additive (new tables/columns), never renames.

CREATE TABLE IF NOT EXISTS libraries (
  code              VARCHAR(16)  NOT NULL PRIMARY KEY,   -- BALIS member code, also its ISO 18626 agencyIdValue
  name_zh           VARCHAR(128) NOT NULL,
  name_en           VARCHAR(160) NOT NULL DEFAULT '',
  iso_symbol        VARCHAR(32)  NOT NULL DEFAULT '',
  lending           TINYINT(1)   NOT NULL DEFAULT 1,     -- takes part as a lender
  deposit_required  TINYINT(1)   NOT NULL DEFAULT 0,     -- R7
  loan_months       INT          NOT NULL DEFAULT 1,     -- R4
  recall_days       INT          NOT NULL DEFAULT 7,     -- R6
  fine_per_day_fen  INT          NOT NULL DEFAULT 0,     -- R11, in fen (0.01 CNY)
  damage_fee_fen    INT          NOT NULL DEFAULT 0,
  loss_fee_fen      INT          NOT NULL DEFAULT 0,
  locale            VARCHAR(8)   NOT NULL DEFAULT 'zh',
  email             VARCHAR(160) NOT NULL DEFAULT '',
  contact_phone     VARCHAR(64)  NOT NULL DEFAULT '',     -- the ILL desk's public contacts (home page, directory)
  contact_email     VARCHAR(160) NOT NULL DEFAULT '',
  contact_address   VARCHAR(300) NOT NULL DEFAULT '',
  webhook_url       VARCHAR(400) NOT NULL DEFAULT '',
  iso_endpoint      VARCHAR(400) NOT NULL DEFAULT '',
  courier_cutoff    CHAR(5)      NOT NULL DEFAULT '14:00',
  copy_respond_days INT          NOT NULL DEFAULT 1,     -- copies (docs/copies.md): working days to answer as a lender
  copy_deliver_days INT          NOT NULL DEFAULT 3,     -- ... and to deliver
  copy_limit        INT          NOT NULL DEFAULT 10,    -- open copy requests per reader (as a borrower)
  created_at        DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- API keys: only the SHA-256 of a key is stored. library_code is a member code
-- or 'CENTRE' for centre (admin) keys.
CREATE TABLE IF NOT EXISTS api_keys (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  key_hash     CHAR(64)     NOT NULL,
  library_code VARCHAR(16)  NOT NULL,
  is_centre    TINYINT(1)   NOT NULL DEFAULT 0,
  label        VARCHAR(100) NOT NULL DEFAULT '',
  created_at   DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at   DATETIME(3)  NULL,
  UNIQUE KEY uq_key_hash (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Readers, registered by their library's submits (the library vouches for them).
-- The row is locked FOR UPDATE while a submit counts the reader's active
-- requests, which makes R3 hold under concurrent submits.
CREATE TABLE IF NOT EXISTS patrons (
  library_code VARCHAR(16)  NOT NULL,
  patron_id    VARCHAR(64)  NOT NULL,
  name         VARCHAR(128) NOT NULL DEFAULT '',
  email        VARCHAR(160) NOT NULL DEFAULT '',
  deposit_paid TINYINT(1)   NOT NULL DEFAULT 0,
  updated_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (library_code, patron_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Union catalogue: one record per work across members.
CREATE TABLE IF NOT EXISTS records (
  id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  isbn13     CHAR(13)     NULL,
  title      VARCHAR(400) NOT NULL,
  author     VARCHAR(200) NOT NULL DEFAULT '',
  publisher  VARCHAR(200) NOT NULL DEFAULT '',
  year       INT          NOT NULL DEFAULT 0,
  language   VARCHAR(8)   NOT NULL DEFAULT 'chi',
  material   VARCHAR(16)  NOT NULL DEFAULT 'book',
  clc        VARCHAR(32)  NOT NULL DEFAULT '',
  match_key  VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_records_isbn (isbn13),
  KEY ix_records_match (match_key),
  KEY ix_records_title (title(64))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS holdings (
  library_code VARCHAR(16)  NOT NULL,
  local_id     VARCHAR(64)  NOT NULL,
  record_id    BIGINT       NOT NULL,
  call_number  VARCHAR(64)  NOT NULL DEFAULT '',
  copies       INT          NOT NULL DEFAULT 1,
  available    INT          NOT NULL DEFAULT 1,
  lendable     TINYINT(1)   NOT NULL DEFAULT 1,
  updated_at   DATETIME(3)  NOT NULL,
  issn         CHAR(9)      NULL,                   -- a serial's ISSN (NNNN-NNNC): copy requests route by it
  coverage     VARCHAR(200) NOT NULL DEFAULT '',    -- the serial's runs of years ("1998-2010,2015-"; '' every year)
  PRIMARY KEY (library_code, local_id),
  KEY ix_holdings_record (record_id, library_code),
  KEY ix_holdings_issn (issn, library_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per request (one book for one reader), across every lender tried.
-- Writers lock the row with SELECT ... FOR UPDATE (mysql.lockRequest).
CREATE TABLE IF NOT EXISTS requests (
  id                VARCHAR(32)  NOT NULL PRIMARY KEY,
  borrower          VARCHAR(16)  NOT NULL,
  client_request_id VARCHAR(100) NOT NULL,
  patron_id         VARCHAR(64)  NOT NULL,
  record_id         BIGINT       NULL,
  title             VARCHAR(400) NOT NULL DEFAULT '',
  author            VARCHAR(200) NOT NULL DEFAULT '',
  isbn              VARCHAR(20)  NOT NULL DEFAULT '',
  publisher         VARCHAR(200) NOT NULL DEFAULT '',
  year              INT          NOT NULL DEFAULT 0,
  note              TEXT         NULL,
  state             VARCHAR(20)  NOT NULL,
  reason            VARCHAR(32)  NOT NULL DEFAULT '',
  lender            VARCHAR(16)  NULL,
  item_barcode      VARCHAR(64)  NOT NULL DEFAULT '',
  submitted_at      DATETIME(3)  NOT NULL,
  respond_by        DATETIME     NULL,
  ship_by           DATETIME     NULL,
  due_at            DATETIME     NULL,
  provisional       TINYINT(1)   NOT NULL DEFAULT 0,  -- a deadline lies beyond the loaded calendar
  updated_at        DATETIME(3)  NOT NULL,
  source            VARCHAR(200) NOT NULL DEFAULT '',  -- who sent the reader (OpenURL rfr_id / sid)
  service_type      VARCHAR(8)   NOT NULL DEFAULT 'loan', -- loan or copy (docs/copies.md)
  citation          TEXT         NULL,                    -- a copy's own citation fields (JSON)
  rush              TINYINT(1)   NOT NULL DEFAULT 0,      -- a copy to deliver the same working day
  deliver_by        DATETIME     NULL,                    -- a copy's deliver deadline at the current lender
  delivery_file_id  VARCHAR(500) NOT NULL DEFAULT '',     -- the delivered copy's file (deliver's file_id)
  UNIQUE KEY uq_requests_client (borrower, client_request_id),
  KEY ix_requests_patron (borrower, patron_id, state),
  KEY ix_requests_borrower_time (borrower, submitted_at),
  KEY ix_requests_lender (lender, state),
  KEY ix_requests_state_respond (state, respond_by),
  KEY ix_requests_state_ship (state, ship_by),
  KEY ix_requests_state_due (state, due_at),
  KEY ix_requests_state_deliver (state, deliver_by),
  KEY ix_requests_barcode (item_barcode)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The rota: ordered candidate lenders with the reasons for their rank.
CREATE TABLE IF NOT EXISTS rota (
  request_id   VARCHAR(32)  NOT NULL,
  rank_no      INT          NOT NULL,
  library_code VARCHAR(16)  NOT NULL,
  outcome      VARCHAR(16)  NOT NULL DEFAULT 'pending',
  reasons      VARCHAR(400) NOT NULL DEFAULT '',
  asked_at     DATETIME(3)  NULL,
  answered_at  DATETIME(3)  NULL,
  PRIMARY KEY (request_id, rank_no),
  KEY ix_rota_library (library_code, outcome),
  KEY ix_rota_asked (asked_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Immutable timeline: one row per transition or refused action.
CREATE TABLE IF NOT EXISTS events (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id  VARCHAR(32)  NOT NULL,
  at          DATETIME(3)  NOT NULL,
  actor       VARCHAR(16)  NOT NULL,
  action      VARCHAR(32)  NOT NULL,
  from_state  VARCHAR(20)  NOT NULL DEFAULT '',
  to_state    VARCHAR(20)  NOT NULL DEFAULT '',
  note        VARCHAR(2000) NOT NULL DEFAULT '',
  message_id  VARCHAR(64)  NOT NULL DEFAULT '',
  KEY ix_events_request (request_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Inbox: ids of messages already applied, written in the same transaction as
-- their effects, so a redelivery is acked without effect.
CREATE TABLE IF NOT EXISTS inbox (
  message_id   VARCHAR(64) NOT NULL,
  handler      VARCHAR(32) NOT NULL,
  processed_at DATETIME(3) NOT NULL,
  PRIMARY KEY (message_id, handler)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Outbox: follow-on messages written in the same transaction as the state
-- change, relayed to RabbitMQ with publisher confirms by any consumers
-- process (claimed with FOR UPDATE SKIP LOCKED).
CREATE TABLE IF NOT EXISTS outbox (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  message_id   VARCHAR(64)  NOT NULL,
  routing_key  VARCHAR(64)  NOT NULL,
  body         MEDIUMBLOB   NOT NULL,
  created_at   DATETIME(3)  NOT NULL,
  published_at DATETIME(3)  NULL,
  attempts     INT          NOT NULL DEFAULT 0,
  UNIQUE KEY uq_outbox_message (message_id),
  KEY ix_outbox_pending (published_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Notices to readers and libraries; (request_id, kind, step) is unique so a
-- notice is created once however often a job or consumer runs.
CREATE TABLE IF NOT EXISTS notices (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id   VARCHAR(32)  NOT NULL,
  kind         VARCHAR(32)  NOT NULL,
  step         INT          NOT NULL DEFAULT 0,
  library_code VARCHAR(16)  NOT NULL,
  patron_id    VARCHAR(64)  NOT NULL DEFAULT '',
  recipient    VARCHAR(200) NOT NULL DEFAULT '',
  locale       VARCHAR(8)   NOT NULL DEFAULT 'zh',
  subject      VARCHAR(300) NOT NULL DEFAULT '',
  body         TEXT         NOT NULL,
  status       VARCHAR(16)  NOT NULL DEFAULT 'pending',  -- pending, sent, not_configured, failed
  attempts     INT          NOT NULL DEFAULT 0,
  created_at   DATETIME(3)  NOT NULL,
  sent_at      DATETIME(3)  NULL,
  UNIQUE KEY uq_notice (request_id, kind, step),
  KEY ix_notices_patron (library_code, patron_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Courier shipments (forward: lender → borrower; return: borrower → lender).
CREATE TABLE IF NOT EXISTS shipments (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id   VARCHAR(32)  NOT NULL,
  direction    VARCHAR(8)   NOT NULL,      -- forward, return
  item_barcode VARCHAR(64)  NOT NULL,
  from_lib     VARCHAR(16)  NOT NULL,
  to_lib       VARCHAR(16)  NOT NULL,
  route_code   VARCHAR(40)  NOT NULL,
  status       VARCHAR(20)  NOT NULL DEFAULT 'awaiting_pickup',
  run_date     DATE         NULL,          -- courier run it is assigned to (Asia/Shanghai day)
  created_at   DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_shipment (request_id, direction),
  KEY ix_shipments_run (run_date, from_lib)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- National calendar: exceptional days only (holidays, adjusted working days).
CREATE TABLE IF NOT EXISTS calendar_days (
  day  DATE        NOT NULL PRIMARY KEY,
  kind VARCHAR(8)  NOT NULL,    -- holiday, workday
  name VARCHAR(64) NOT NULL DEFAULT ''
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Years whose calendar has been loaded; days beyond them are provisional.
CREATE TABLE IF NOT EXISTS calendar_years (
  year      INT          NOT NULL PRIMARY KEY,
  source    VARCHAR(200) NOT NULL DEFAULT '',
  loaded_at DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- A library's own closures (winter/summer breaks), inclusive.
CREATE TABLE IF NOT EXISTS closures (
  id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  library_code VARCHAR(16) NOT NULL,
  from_day     DATE        NOT NULL,
  to_day       DATE        NOT NULL,
  note         VARCHAR(200) NOT NULL DEFAULT '',
  KEY ix_closures_library (library_code, from_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Daily statistics per library and Asia/Shanghai day, rolled up by the
-- scheduler's `rollup` job for the reports. A rerun for a day replaces it.
-- Migration 73 adds service_type (loan, copy) and makes the primary key
-- (day, library_code, service_type): one row per service type.
CREATE TABLE IF NOT EXISTS stats_daily (
  day               DATE        NOT NULL,
  library_code      VARCHAR(16) NOT NULL,
  borrowed          INT         NOT NULL DEFAULT 0,  -- requests its readers submitted
  lent              INT         NOT NULL DEFAULT 0,  -- requests it agreed to supply (will_supply)
  filled            INT         NOT NULL DEFAULT 0,  -- requests it shipped as lender
  unfilled          INT         NOT NULL DEFAULT 0,  -- its requests that ended UNFILLED
  missed_deadlines  INT         NOT NULL DEFAULT 0,  -- its no_response / not_shipped outcomes as lender
  received          INT         NOT NULL DEFAULT 0,  -- items it received as borrower
  turnaround_sum_s  BIGINT      NOT NULL DEFAULT 0,  -- Σ (received - submitted) seconds of those
  computed_at       DATETIME(3) NOT NULL,
  PRIMARY KEY (day, library_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Union catalogue search index and match conflicts (docs/catalog.md)
-- record_search: one row per record with what search filters and ranks on,
-- kept in step with holdings by the holdings consumer (mysql.refreshRecords).
-- rk = -holdings, so ascending key order is "most holdings first".
-- title_fold/author_fold are ill.Fold of title/author (binary collation:
-- exact comparison of already-normalised text).
CREATE TABLE IF NOT EXISTS record_search (
  record_id   BIGINT       NOT NULL PRIMARY KEY,
  rk          INT          NOT NULL DEFAULT 0,
  holdings    INT          NOT NULL DEFAULT 0,
  available   INT          NOT NULL DEFAULT 0,
  year        INT          NOT NULL DEFAULT 0,
  title_fold  VARCHAR(400) NOT NULL DEFAULT '',
  author_fold VARCHAR(200) NOT NULL DEFAULT '',
  KEY ix_record_search_title (title_fold(96)),
  KEY ix_record_search_rank (rk, record_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- record_terms: the application-maintained bigram index (ill.Bigrams of the
-- folded title and author; term = two code points packed in 42 bits). The
-- key puts a term's postings in rank order, so a search reads them already
-- ranked and stops at the page (works the same on MySQL 8 and MariaDB,
-- whose FULLTEXT drops 2-character Chinese words).
CREATE TABLE IF NOT EXISTS record_terms (
  term      BIGINT UNSIGNED NOT NULL,
  rk        INT             NOT NULL,
  record_id BIGINT          NOT NULL,
  PRIMARY KEY (term, rk, record_id)
) ENGINE=InnoDB;

-- Matching conflicts reported (not silently merged) when a library's
-- holding was matched or not matched to a union record (docs/catalog.md).
CREATE TABLE IF NOT EXISTS catalog_conflicts (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind         VARCHAR(32)  NOT NULL,  -- isbn_title_mismatch, same_key_other_isbn, ambiguous_key, invalid_isbn
  library_code VARCHAR(16)  NOT NULL,
  local_id     VARCHAR(64)  NOT NULL,
  record_id    BIGINT       NULL,      -- the record the holding was attached to
  other_id     BIGINT       NULL,      -- the record it conflicts with
  detail       VARCHAR(600) NOT NULL DEFAULT '',
  created_at   DATETIME(3)  NOT NULL,
  UNIQUE KEY uq_catalog_conflict (library_code, local_id, kind),
  KEY ix_catalog_conflicts_time (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Web portal and staff console
-- Staff accounts of the web console: per member library (role staff) or the
-- centre (library_code 'CENTRE', role centre_admin). Passwords bcrypt-hashed.
CREATE TABLE IF NOT EXISTS staff_users (
  library_code  VARCHAR(16)  NOT NULL,
  username      VARCHAR(64)  NOT NULL,
  name          VARCHAR(128) NOT NULL DEFAULT '',
  role          VARCHAR(16)  NOT NULL DEFAULT 'staff',   -- staff, library_admin, centre_admin
  password_hash VARCHAR(100) NOT NULL,
  disabled      TINYINT(1)   NOT NULL DEFAULT 0,
  created_at    DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (library_code, username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Web sessions (readers and staff). Only the SHA-256 of the cookie value is
-- stored; csrf is the per-session token every form must echo.
CREATE TABLE IF NOT EXISTS web_sessions (
  id_hash      CHAR(64)     NOT NULL PRIMARY KEY,
  kind         VARCHAR(8)   NOT NULL,                    -- reader, staff
  library_code VARCHAR(16)  NOT NULL,
  subject      VARCHAR(64)  NOT NULL,                    -- patron id or staff username
  role         VARCHAR(16)  NOT NULL DEFAULT '',
  csrf         VARCHAR(64)  NOT NULL,
  created_at   DATETIME(3)  NOT NULL,
  expires_at   DATETIME(3)  NOT NULL,
  KEY ix_web_sessions_expiry (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Courier runs, courier credentials and scans, return checks,
-- violations (R11; amounts in fen, never a courier fee: R10) and the staff
-- review list. Columns added to shipments and libraries are migrations 3 and 4.

-- One courier run per Asia/Shanghai day, open until the scheduler's
-- courier-cutoff job closes it (at the latest cut-off of the stops) and
-- stores its manifest.
CREATE TABLE IF NOT EXISTS courier_runs (
  id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_date    DATE        NOT NULL,
  status      VARCHAR(8)  NOT NULL DEFAULT 'open',   -- open, closed
  closed_at   DATETIME(3) NULL,
  shipments   INT         NOT NULL DEFAULT 0,        -- on the manifest at close
  manifest    MEDIUMTEXT  NULL,                      -- JSON snapshot taken at close
  created_at  DATETIME(3) NOT NULL,
  UNIQUE KEY uq_courier_runs_date (run_date),
  KEY ix_courier_runs_status (status, run_date)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Courier credentials (POST /v1/courier/scans): distinct from library keys;
-- only the SHA-256 of a key is stored (`illctl courier key`).
CREATE TABLE IF NOT EXISTS courier_keys (
  id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  key_hash   CHAR(64)     NOT NULL,
  label      VARCHAR(100) NOT NULL DEFAULT '',
  created_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at DATETIME(3)  NULL,
  UNIQUE KEY uq_courier_key_hash (key_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every applied courier scan, with what it did (outcome).
CREATE TABLE IF NOT EXISTS courier_scans (
  id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  shipment_id BIGINT       NOT NULL,
  barcode     VARCHAR(64)  NOT NULL,
  event       VARCHAR(16)  NOT NULL,      -- picked_up, delivered
  stop        VARCHAR(16)  NOT NULL DEFAULT '',
  outcome     VARCHAR(200) NOT NULL,      -- e.g. "awaiting_pickup → picked_up", "ignored: already delivered"
  message_id  VARCHAR(64)  NOT NULL,
  at          DATETIME(3)  NOT NULL,
  KEY ix_courier_scans_shipment (shipment_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Return facts per loan, written by the requests consumer on return,
-- checkin and report_lost; the courier pool's return.check settles them.
CREATE TABLE IF NOT EXISTS return_checks (
  request_id        VARCHAR(32)  NOT NULL PRIMARY KEY,
  borrower          VARCHAR(16)  NOT NULL,
  lender            VARCHAR(16)  NOT NULL,
  item_barcode      VARCHAR(64)  NOT NULL DEFAULT '',  -- what the lender shipped
  scanned_barcode   VARCHAR(64)  NOT NULL DEFAULT '',  -- what the borrowing library scanned at return ('' = not given)
  due_at            DATETIME     NULL,
  returned_at       DATETIME(3)  NULL,
  return_condition  VARCHAR(16)  NOT NULL DEFAULT '',
  checkin_condition VARCHAR(16)  NOT NULL DEFAULT '',
  checked_in_at     DATETIME(3)  NULL,
  lost              TINYINT(1)   NOT NULL DEFAULT 0,
  status            VARCHAR(16)  NOT NULL DEFAULT 'pending',  -- pending, checked, review
  checked_at        DATETIME(3)  NULL,
  KEY ix_return_checks_barcode (lender, item_barcode)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Violations (R11) priced by the lender's policy; one per (request, kind),
-- so a return check applied twice records nothing twice.
CREATE TABLE IF NOT EXISTS violations (
  id          BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id  VARCHAR(32)   NOT NULL,
  kind        VARCHAR(16)   NOT NULL,     -- overdue, damaged, lost
  lender      VARCHAR(16)   NOT NULL,
  borrower    VARCHAR(16)   NOT NULL,
  patron_id   VARCHAR(64)   NOT NULL DEFAULT '',
  days        INT           NOT NULL DEFAULT 0,
  amount_fen  INT           NOT NULL DEFAULT 0,
  note        VARCHAR(400)  NOT NULL DEFAULT '',
  created_at  DATETIME(3)   NOT NULL,
  state       VARCHAR(8)    NOT NULL DEFAULT 'pending', -- settlement: pending, paid, waived (migration 30)
  settled_by  VARCHAR(100)  NOT NULL DEFAULT '',        -- LIBRARY/username, or LIBRARY for an API key
  settled_at  DATETIME(3)   NULL,
  settle_note VARCHAR(400)  NOT NULL DEFAULT '',
  UNIQUE KEY uq_violation (request_id, kind),
  KEY ix_violations_lender (lender, created_at),
  KEY ix_violations_borrower (borrower, created_at),
  KEY ix_violations_state (state, created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Staff review list: unknown and mismatched barcodes (never silently accepted).
CREATE TABLE IF NOT EXISTS courier_review (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code         VARCHAR(32)  NOT NULL,       -- unknown_barcode, barcode_mismatch
  source       VARCHAR(16)  NOT NULL,       -- scan, return, checkin, return_check
  barcode      VARCHAR(64)  NOT NULL DEFAULT '',
  request_id   VARCHAR(32)  NOT NULL DEFAULT '',
  library_code VARCHAR(16)  NOT NULL DEFAULT '',   -- who reported it ('' = the courier)
  other_library VARCHAR(16) NOT NULL DEFAULT '',   -- the other party, who may also see it
  detail       VARCHAR(400) NOT NULL DEFAULT '',
  created_at   DATETIME(3)  NOT NULL,
  resolved_at  DATETIME(3)  NULL,
  resolved_by  VARCHAR(16)  NOT NULL DEFAULT '',
  resolution   VARCHAR(400) NOT NULL DEFAULT '',
  KEY ix_courier_review_open (resolved_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ISO 18626
-- Every ISO 18626 message the hub received or sent, per request. Outbound
-- rows are the delivery queue of the iso pool (outbox message iso.outbound
-- {"iso_message_id": id}): pending → sent, or failed after
-- ILL_ISO_ATTEMPTS tries (then dead-lettered); each ERROR confirmation
-- or transport failure is kept in last_error and on the request's timeline.
CREATE TABLE IF NOT EXISTS iso18626_messages (
  id            BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id    VARCHAR(32)   NOT NULL DEFAULT '',
  direction     VARCHAR(3)    NOT NULL,            -- in, out
  library_code  VARCHAR(16)   NOT NULL,            -- the member sending (in) or receiving (out)
  kind          VARCHAR(40)   NOT NULL,            -- request, supplyingAgencyMessage, requestingAgencyMessage
  summary       VARCHAR(200)  NOT NULL DEFAULT '', -- e.g. StatusChange/Loaned, Cancel
  body          MEDIUMTEXT    NOT NULL,
  status        VARCHAR(16)   NOT NULL,            -- in: OK, ERROR; out: pending, sent, failed
  attempts      INT           NOT NULL DEFAULT 0,
  last_error    VARCHAR(1000) NOT NULL DEFAULT '',
  created_at    DATETIME(3)   NOT NULL,
  sent_at       DATETIME(3)   NULL,
  KEY ix_iso_request (request_id, library_code, id),
  KEY ix_iso_status (direction, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Administrative actions on credentials (illctl key issue/revoke/rotate,
-- library key, courier key, seed demo): who (the OS user running illctl),
-- what and for which owner (a library code, CENTRE or COURIER). Never a key
-- or a key hash. Append-only.
CREATE TABLE IF NOT EXISTS audit_log (
  id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at           DATETIME(3)   NOT NULL,
  actor        VARCHAR(100)  NOT NULL,
  action       VARCHAR(40)   NOT NULL,   -- key.issue, key.revoke, key.rotate, demo.seed
  library_code VARCHAR(16)   NOT NULL DEFAULT '',
  detail       VARCHAR(1000) NOT NULL DEFAULT '',
  KEY ix_audit_library (library_code, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Centre: announcements the BALIS centre publishes on the public home page
-- (/), in Chinese and English (plain text). published_at is set when it is
-- published (NULL: a draft or withdrawn); the home page lists the published
-- ones newest first.
CREATE TABLE IF NOT EXISTS announcements (
  id            BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  title_zh      VARCHAR(200)  NOT NULL,
  title_en      VARCHAR(200)  NOT NULL DEFAULT '',
  body_zh       TEXT          NOT NULL,
  body_en       TEXT          NOT NULL,
  published_at  DATETIME(3)   NULL,
  created_at    DATETIME(3)   NOT NULL,
  created_by    VARCHAR(100)  NOT NULL DEFAULT '',
  KEY ix_announcements_published (published_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- ILL desk: every change of a reader's deposit status made by a library's
-- staff in the console (/console/readers/{card}): who, when, to what.
-- Append-only; the current status is patrons.deposit_paid.
CREATE TABLE IF NOT EXISTS reader_deposit_log (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  library_code VARCHAR(16)  NOT NULL,
  patron_id    VARCHAR(64)  NOT NULL,
  deposit_paid TINYINT(1)   NOT NULL,
  changed_by   VARCHAR(64)  NOT NULL,
  changed_at   DATETIME(3)  NOT NULL,
  KEY ix_deposit_log_reader (library_code, patron_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Notes between libraries (the console's notes, the JSON API's
-- /v1/requests/{id}/notes, ISO 18626 Notifications): staff of a request's
-- borrower and current lender, and the centre, write to each other. Not a
-- state change. request_note_reads is how far each library has read a
-- request's notes (unread counts on the console).
CREATE TABLE IF NOT EXISTS request_notes (
  id            BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id    VARCHAR(32)   NOT NULL,
  library_code  VARCHAR(16)   NOT NULL,             -- the author's library (CENTRE for the centre)
  to_library    VARCHAR(16)   NOT NULL DEFAULT '',  -- the library it is for; '' both parties
  author        VARCHAR(64)   NOT NULL DEFAULT '',  -- staff user name; '' for a member system
  via           VARCHAR(16)   NOT NULL,             -- console, api, iso18626
  body          VARCHAR(1000) NOT NULL,
  created_at    DATETIME(3)   NOT NULL,
  KEY ix_notes_request (request_id, id),
  KEY ix_notes_to (to_library, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS request_note_reads (
  library_code  VARCHAR(16)   NOT NULL,
  request_id    VARCHAR(32)   NOT NULL,
  seen_note_id  BIGINT        NOT NULL,              -- the last note this library has read there
  PRIMARY KEY (library_code, request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Reports: the centre's schedule of the monthly summary e-mail to each
-- member (the console's reports page; one row, id 1; no row = off, first
-- working day).
CREATE TABLE IF NOT EXISTS report_schedule (
  id          TINYINT      NOT NULL PRIMARY KEY,
  enabled     TINYINT(1)   NOT NULL DEFAULT 0,
  working_day INT          NOT NULL DEFAULT 1,   -- send on the n-th national working day of the month
  console_url VARCHAR(200) NOT NULL DEFAULT '', -- base of the link to the report in the e-mail
  updated_by  VARCHAR(100) NOT NULL DEFAULT '',
  updated_at  DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Reports: one row per member library and month whose summary notice was
-- created (the scheduler's monthly-summary job), so a rerun sends nothing
-- twice.
CREATE TABLE IF NOT EXISTS monthly_summaries (
  library_code VARCHAR(16)  NOT NULL,
  month        CHAR(7)      NOT NULL,              -- YYYY-MM, the month summarised
  notice_id    BIGINT       NOT NULL DEFAULT 0,
  created_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (library_code, month)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Money (fee rules and violations' settlement): every change of a library's
-- fee rules (fine per day, damage and loss fees in fen, courier cut-off)
-- made in the console, field by field, with who and when. Append-only.
CREATE TABLE IF NOT EXISTS library_policy_history (
  id           BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  library_code VARCHAR(16)   NOT NULL,
  field        VARCHAR(32)   NOT NULL,   -- fine_per_day_fen, damage_fee_fen, loss_fee_fen, courier_cutoff
  old_value    VARCHAR(32)   NOT NULL DEFAULT '',
  new_value    VARCHAR(32)   NOT NULL DEFAULT '',
  changed_by   VARCHAR(100)  NOT NULL,   -- LIBRARY/username of the console account
  changed_at   DATETIME(3)   NOT NULL,
  KEY ix_policy_history_library (library_code, changed_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Mediation: the search URL templates of the secondary search tools (kind
-- 'tool': calis, nlc, shl; replacing the built-in defaults) and of the
-- members' own OPACs (kind 'member', code the library code) that the
-- mediation panel fills with a request's title, ISBN and author. Edited by
-- the centre in the console.
CREATE TABLE IF NOT EXISTS opac_templates (
  kind          VARCHAR(8)     NOT NULL,
  code          VARCHAR(16)    NOT NULL,
  url_template  VARCHAR(1000)  NOT NULL,
  updated_by    VARCHAR(64)    NOT NULL DEFAULT '',
  updated_at    DATETIME(3)    NOT NULL,
  PRIMARY KEY (kind, code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- NCIP (members' local library systems, docs/ncip.md): a member's NCIP
-- registration (its ILS's NCIP endpoint; '' = no NCIP), the agency id the
-- hub sends as FromAgencyId ('' = the hub's symbol) and the ILS's own,
-- sent as ToAgencyId ('' = the library code). Set by illctl library ncip.
CREATE TABLE IF NOT EXISTS ncip_members (
  library_code  VARCHAR(16)    NOT NULL PRIMARY KEY,
  endpoint      VARCHAR(500)   NOT NULL DEFAULT '',
  from_agency   VARCHAR(64)    NOT NULL DEFAULT '',
  to_agency     VARCHAR(64)    NOT NULL DEFAULT '',
  updated_at    DATETIME(3)    NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- NCIP calls: written by the ncip subscriber in the transaction of the
-- transition that asks for them; the delivery queue of the ncip pool
-- (outbox message ncip.call {"ncip_call_id": id}), in order per request and
-- member: pending → sent, or failed (delivery attempts spent, or a Problem
-- answered). Outcomes and failures also go on the request's timeline.
CREATE TABLE IF NOT EXISTS ncip_calls (
  id            BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id    VARCHAR(32)   NOT NULL,
  library_code  VARCHAR(16)   NOT NULL,            -- whose ILS
  service       VARCHAR(32)   NOT NULL,            -- LookupUser, AcceptItem, CheckOutItem, CheckInItem
  body          MEDIUMTEXT    NOT NULL,            -- the NCIP document sent
  status        VARCHAR(16)   NOT NULL,            -- pending, sent, failed
  attempts      INT           NOT NULL DEFAULT 0,
  last_error    VARCHAR(1000) NOT NULL DEFAULT '',
  outcome       VARCHAR(500)  NOT NULL DEFAULT '', -- the ILS's answer as recorded (LookupUser: the reader's standing)
  created_at    DATETIME(3)   NOT NULL,
  sent_at       DATETIME(3)   NULL,
  KEY ix_ncip_request (request_id, library_code, status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Delivered copies (文献传递, docs/delivery.md): the stamped PDF a supplier
-- uploaded for a copy request, stored under key in the FileStore
-- (ILL_FILES_BACKEND). downloads counts the reader's downloads (at most
-- ILL_DOWNLOAD_LIMIT); the copy-expiry job deletes the file after
-- expires_at and sets deleted_at.
CREATE TABLE IF NOT EXISTS copy_files (
  id           CHAR(21)     NOT NULL PRIMARY KEY,   -- ill.NewFileID
  request_id   VARCHAR(32)  NOT NULL,
  library_code VARCHAR(16)  NOT NULL,               -- the supplier that uploaded it
  file_key     VARCHAR(200) NOT NULL,
  size         BIGINT       NOT NULL,
  pages        INT          NOT NULL,
  sha256       CHAR(64)     NOT NULL,
  uploaded_by  VARCHAR(100) NOT NULL,
  uploaded_at  DATETIME(3)  NOT NULL,
  expires_at   DATETIME(3)  NOT NULL,
  downloads    INT          NOT NULL DEFAULT 0,
  deleted_at   DATETIME(3)  NULL,
  KEY ix_copy_files_request (request_id),
  KEY ix_copy_files_expiry (deleted_at, expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A supplier's price of a delivered copy (per page or per item, fen);
-- changes recorded in library_policy_history (copy_price_unit,
-- copy_price_fen). A library without a row charges nothing.
CREATE TABLE IF NOT EXISTS copy_prices (
  library_code VARCHAR(16) NOT NULL PRIMARY KEY,
  unit         VARCHAR(8)  NOT NULL DEFAULT 'page', -- page, item
  price_fen    INT         NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The centre's subsidy of copies per reader category (faculty,
-- postgraduate, undergraduate, other): a share in percent or an amount in
-- fen per request. Changes recorded in library_policy_history under CENTRE.
CREATE TABLE IF NOT EXISTS copy_subsidies (
  category   VARCHAR(16) NOT NULL PRIMARY KEY,
  kind       VARCHAR(8)  NOT NULL,  -- share, amount
  value      INT         NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Copy fees, booked once per delivered request by the delivery subscriber
-- in the transaction of the DELIVERED transition, at the supplier's price
-- and the subsidy rule of that moment: the monthly statement's copy lines.
CREATE TABLE IF NOT EXISTS copy_fees (
  request_id   VARCHAR(32) NOT NULL PRIMARY KEY,
  supplier     VARCHAR(16) NOT NULL,
  borrower     VARCHAR(16) NOT NULL,
  patron_id    VARCHAR(64) NOT NULL,
  category     VARCHAR(16) NOT NULL,
  pages        INT         NOT NULL,
  unit         VARCHAR(8)  NOT NULL,
  price_fen    INT         NOT NULL,
  charge_fen   INT         NOT NULL,
  subsidy_kind VARCHAR(8)  NOT NULL DEFAULT '',
  subsidy_fen  INT         NOT NULL,
  reader_fen   INT         NOT NULL,
  created_at   DATETIME(3) NOT NULL,
  KEY ix_copy_fees_supplier (supplier, created_at),
  KEY ix_copy_fees_borrower (borrower, created_at),
  KEY ix_copy_fees_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Leases: a named piece of work held by one holder until expires_at
-- (mysql/leases.go). They replace GET_LOCK, which a Galera cluster does not
-- replicate: e.g. the migration lease (one migrator at a time).
CREATE TABLE IF NOT EXISTS leases (
  name       VARCHAR(191) NOT NULL PRIMARY KEY,
  holder     VARCHAR(191) NOT NULL,
  expires_at DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Scheduler ticks: one row per job and cron activation (tick, the scheduled
-- time in UTC), written by the scheduler that runs it. The primary key is
-- what makes each tick run once across schedulers: the others find the row
-- and skip (package sched). finished_at stays NULL for a run whose
-- scheduler died; result is ok or the error.
CREATE TABLE IF NOT EXISTS job_runs (
  job         VARCHAR(40)  NOT NULL,
  tick        DATETIME     NOT NULL,
  runner      VARCHAR(191) NOT NULL,
  started_at  DATETIME(3)  NOT NULL,
  finished_at DATETIME(3)  NULL,
  result      VARCHAR(400) NOT NULL DEFAULT '',
  changed     INT          NOT NULL DEFAULT 0,
  PRIMARY KEY (job, tick),
  KEY ix_job_runs_started (started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
