package mysql

// Additive schema migrations.
//
// schema.sql only creates missing tables (CREATE TABLE IF NOT EXISTS), so a
// column added to an existing table needs a migration: databases created
// before the column existed get it here, new ones get it right after
// schema.sql created the table. Each migration is applied once and recorded
// in schema_migrations. MySQL 8 has no ADD COLUMN IF NOT EXISTS, hence the
// version table rather than idempotent DDL.
//
// Rules: append only (never edit or reorder an applied migration), one
// statement each, additive (new columns with defaults, new indexes), and
// valid on MySQL 8 and MariaDB 10.11+.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	illhub "github.com/balis/illhub"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
)

// The statements of Migrate, on a connection without a default database:
// createDatabaseSQL (%s: the database name, checked to hold no backquote
// or semicolon) and applySchemaSQL (the name, then schema.sql, which only
// creates missing tables). Locks: metadata locks of the DDL, statement by
// statement; concurrent migrators serialise on the migration lease
// (applyMigrations).
const (
	createDatabaseSQL = "CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	applySchemaSQL    = "USE `%s`;\n%s"
)

// Migrate creates the database named in dsn when missing and applies
// schema.sql, then the additive migrations (below). It is
// idempotent.
func Migrate(ctx context.Context, dsn string) error {
	cfg, err := normalizeDSN(dsn)
	if err != nil {
		return err
	}
	name := cfg.DBName
	if name == "" || strings.ContainsAny(name, "`;") {
		return fmt.Errorf("mysql: ILL_MYSQL_DSN must name a database")
	}
	cfg.DBName = ""
	cfg.MultiStatements = true
	root, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer root.Close()
	if _, err := root.ExecContext(ctx, fmt.Sprintf(createDatabaseSQL, name)); err != nil {
		return fmt.Errorf("mysql: create database %s: %w", name, err)
	}
	if _, err := root.ExecContext(ctx, fmt.Sprintf(applySchemaSQL, name, illhub.Schema)); err != nil {
		return fmt.Errorf("mysql: apply schema.sql: %w", err)
	}
	return applyMigrations(ctx, root, name)
}

// migration1WebhookSecret adds the per-library secret that signs webhook
// notices (X-Illhub-Signature, see docs/notices.md). Set with
// `illctl library webhook CODE URL`.
const migration1WebhookSecret = `ALTER TABLE libraries ADD COLUMN webhook_secret VARCHAR(128) NOT NULL DEFAULT ''`

// migration2NoticeDelivery records, per notice, the channels that already
// delivered it (so a retry after a partial failure does not send an e-mail
// twice because the webhook failed) and the last delivery error for staff.
const migration2NoticeDelivery = `ALTER TABLE notices
	ADD COLUMN delivered_via VARCHAR(32)  NOT NULL DEFAULT '',
	ADD COLUMN last_error    VARCHAR(400) NOT NULL DEFAULT ''`

// migration5ReaderPIN adds the hashed PIN (bcrypt) a reader signs in to the
// web portal with; an empty string means the reader has no portal access yet. Set by
// POST /v1/readers or `illctl reader add`.
const migration5ReaderPIN = `ALTER TABLE patrons ADD COLUMN pin_hash VARCHAR(100) NOT NULL DEFAULT ''`

// migration3CourierShipments gives shipments their courier run,
// the lender's call number for the manifest, the scan times and the
// exception deadline (3 working days after pickup), with the indexes the
// manifest, the scans and the courier-exceptions job use.
const migration3CourierShipments = `ALTER TABLE shipments
	ADD COLUMN run_id        BIGINT      NULL,
	ADD COLUMN call_number   VARCHAR(64) NOT NULL DEFAULT '',
	ADD COLUMN picked_up_at  DATETIME(3) NULL,
	ADD COLUMN delivered_at  DATETIME(3) NULL,
	ADD COLUMN exception_due DATETIME    NULL,
	ADD COLUMN exception_at  DATETIME(3) NULL,
	ADD KEY ix_shipments_run_id (run_id, from_lib),
	ADD KEY ix_shipments_status_due (status, exception_due),
	ADD KEY ix_shipments_barcode (item_barcode, status)`

// migration4CourierDays records the weekdays each library's
// courier stop is served ("mon,tue,wed,thu,fri"; `illctl courier days`).
const migration4CourierDays = `ALTER TABLE libraries ADD COLUMN courier_days VARCHAR(40) NOT NULL DEFAULT 'mon,tue,wed,thu,fri'`

// migration10ISOSecret adds the hash (SHA-256, like API keys) of the
// secret an ISO 18626 member sends in requestingAgencyAuthentication/
// securityCode (empty: no secret required). Set with `illctl library add
// ... --iso18626-secret`.
const migration10ISOSecret = `ALTER TABLE libraries ADD COLUMN iso_secret_hash CHAR(64) NOT NULL DEFAULT ''`

// migration17ISOClosedNetwork marks an ISO 18626 member whose system
// cannot send a secret and is reached over a closed network only (a VPN,
// an ingress allow-list or mutual TLS in front of the producer): it is the
// one case in which the intake accepts a member's messages without
// requestingAgencyAuthentication. Set with `illctl library add ...
// --iso18626-closed-network`.
const migration17ISOClosedNetwork = `ALTER TABLE libraries ADD COLUMN iso_closed_network TINYINT(1) NOT NULL DEFAULT 0`

// migration73StatsServiceType splits the daily roll-up by service type
// (loan, copy): existing rows are loans (the hub had no copies before),
// and the key gains the service type so a library has a row per type.
const migration73StatsServiceType = `ALTER TABLE stats_daily
	ADD COLUMN service_type VARCHAR(8) NOT NULL DEFAULT 'loan' AFTER library_code,
	DROP PRIMARY KEY,
	ADD PRIMARY KEY (day, library_code, service_type)`

// migration16ReportSLA splits the daily roll-up's figures for the SLA and
// turnaround reports: the lender's answers and respond timeouts,
// and the shipped → received time of the items received.
const migration16ReportSLA = `ALTER TABLE stats_daily
	ADD COLUMN answered      INT    NOT NULL DEFAULT 0,
	ADD COLUMN no_response   INT    NOT NULL DEFAULT 0,
	ADD COLUMN transit_sum_s BIGINT NOT NULL DEFAULT 0`

// migration35LibraryContacts adds the ILL desk's public contact points
// (phone, e-mail, address) shown on the home page's member list and in the
// directory; the private notice e-mail (email) stays as it is. Set with
// `illctl library add ... --contact-phone/--contact-email/--contact-address`
// or the centre's member page.
const migration35LibraryContacts = `ALTER TABLE libraries
	ADD COLUMN contact_phone   VARCHAR(64)  NOT NULL DEFAULT '',
	ADD COLUMN contact_email   VARCHAR(160) NOT NULL DEFAULT '',
	ADD COLUMN contact_address VARCHAR(300) NOT NULL DEFAULT ''`

// migration25RequestBarcode indexes the item barcode of requests: the
// desk's scan field finds the request an item belongs to by it.
const migration25RequestBarcode = `ALTER TABLE requests ADD KEY ix_requests_barcode (item_barcode)`

// migration26NoticesByReader indexes the notices by library and reader,
// for the portal's 我的消息 (a reader's notices, newest first, paged).
const migration26NoticesByReader = `ALTER TABLE notices ADD KEY ix_notices_patron (library_code, patron_id, id)`

// migration45RotaAsked indexes the rota by asked_at: the lender evaluation
// report and the monthly summary read the turns that began in a period.
const migration45RotaAsked = `ALTER TABLE rota ADD KEY ix_rota_asked (asked_at)`

// migration30ViolationSettlement gives each violation its settlement:
// pending until the lender (or the centre) marks it paid or waived, with
// who, when and a note (console and POST /v1/violations/{id}/settle).
const migration30ViolationSettlement = `ALTER TABLE violations
	ADD COLUMN state       VARCHAR(8)   NOT NULL DEFAULT 'pending',
	ADD COLUMN settled_by  VARCHAR(100) NOT NULL DEFAULT '',
	ADD COLUMN settled_at  DATETIME(3)  NULL,
	ADD COLUMN settle_note VARCHAR(400) NOT NULL DEFAULT '',
	ADD KEY ix_violations_state (state, created_at)`

// migration60RequestSource keeps who sent the reader to the hub (an
// OpenURL link's rfr_id or sid, or a member system's own label) on each
// request, for the sources report.
const migration60RequestSource = `ALTER TABLE requests ADD COLUMN source VARCHAR(200) NOT NULL DEFAULT ''`

// migration75ReaderCategory adds the reader's category (faculty,
// postgraduate, undergraduate, other; empty read as other), which the centre's
// subsidy of copy fees is per (docs/delivery.md).
const migration75ReaderCategory = `ALTER TABLE patrons ADD COLUMN category VARCHAR(16) NOT NULL DEFAULT ''`

// migration70CopyRequests gives requests their service type (loan or
// copy), a copy's own citation fields (JSON), the rush flag, the deliver
// deadline with its index for the deliver-deadline sweep, and the
// delivered file (docs/copies.md).
const migration70CopyRequests = `ALTER TABLE requests
	ADD COLUMN service_type     VARCHAR(8)   NOT NULL DEFAULT 'loan',
	ADD COLUMN citation         TEXT         NULL,
	ADD COLUMN rush             TINYINT(1)   NOT NULL DEFAULT 0,
	ADD COLUMN deliver_by       DATETIME     NULL,
	ADD COLUMN delivery_file_id VARCHAR(500) NOT NULL DEFAULT '',
	ADD KEY ix_requests_state_deliver (state, deliver_by)`

// migration71CopyTerms adds each library's copy settings (ill.CopyTerms):
// working days to answer and to deliver as a lender, the open copy
// requests per reader as a borrower.
const migration71CopyTerms = `ALTER TABLE libraries
	ADD COLUMN copy_respond_days INT NOT NULL DEFAULT 1,
	ADD COLUMN copy_deliver_days INT NOT NULL DEFAULT 3,
	ADD COLUMN copy_limit        INT NOT NULL DEFAULT 10`

// migration72SerialHoldings adds a serial holding's ISSN and coverage
// (runs of years), by which copy requests for articles are routed.
const migration72SerialHoldings = `ALTER TABLE holdings
	ADD COLUMN issn     CHAR(9)      NULL,
	ADD COLUMN coverage VARCHAR(200) NOT NULL DEFAULT '',
	ADD KEY ix_holdings_issn (issn, library_code)`

// migration is one numbered statement. Versions are explicit (not the slice
// index) so that work on separate branches reserves its numbers up front and
// merges without renumbering; a gap is allowed, a reuse is not (TestMigrationVersions).
type migration struct {
	Version int
	SQL     string
}

// migrations are applied in slice order. Reserved: 3–4 courier (shipments,
// courier days), 5 reader PIN, 6–9 union catalogue, 10–12 ISO 18626,
// 13–15 operations; take the next free number above 15 for anything else.
var migrations = []migration{
	{1, migration1WebhookSecret},
	{2, migration2NoticeDelivery},
	{3, migration3CourierShipments},
	{4, migration4CourierDays},
	{5, migration5ReaderPIN},
	{10, migration10ISOSecret}, // ISO 18626
	{16, migration16ReportSLA}, // SLA and turnaround split in the roll-ups
	{17, migration17ISOClosedNetwork},
	{25, migration25RequestBarcode},  // desk: find a request by its item's barcode
	{26, migration26NoticesByReader}, // 我的消息: a reader's notices, newest first
	{30, migration30ViolationSettlement},
	{35, migration35LibraryContacts},  // centre: the ILL desks' public contacts
	{45, migration45RotaAsked},        // reports: the lenders' turns by the time they began
	{60, migration60RequestSource},    // OpenURL: where a request came from (rfr_id / sid)
	{70, migration70CopyRequests},     // copies: service type, citation, rush, deliver_by, delivered file
	{71, migration71CopyTerms},        // copies: the libraries' deadlines and limit
	{72, migration72SerialHoldings},   // copies: serial holdings (ISSN, coverage)
	{73, migration73StatsServiceType}, // reports: the daily roll-up split by service type
	{75, migration75ReaderCategory},   // delivery: subsidies of copy fees per reader category
}

// MigrationVersions lists the declared migration versions, in order.
func MigrationVersions() []int {
	v := make([]int, len(migrations))
	for i, m := range migrations {
		v[i] = m.Version
	}
	return v
}

// The statements of applyMigrations, on one connection: useDatabaseSQL
// (%s: the database), the migration lease (a row of the leases table, see
// leases.go: one migrator at a time per database), the version table and
// its rows (autocommit, no other locks), then each pending migration's
// DDL.
const (
	useDatabaseSQL       = "USE `%s`"
	appliedMigrationsSQL = `SELECT version FROM schema_migrations`
	recordMigrationSQL   = `INSERT IGNORE INTO schema_migrations (version) VALUES (?)`
)

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INT         NOT NULL PRIMARY KEY,
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`

// The migration lease: its name, how long a migrator holds it without
// renewing (it renews after every migration, so only a migrator that died
// or one statement running longer than this lets another one in), and how
// long a second migrator waits for it before giving up.
const (
	migrationLease      = "illhub.migrate"
	migrationLeaseTTL   = 10 * time.Minute
	migrationLeaseWait  = 60 * time.Second
	migrationLeasePause = 250 * time.Millisecond
)

// applyMigrations applies the pending migrations to database name. A lease
// row (not GET_LOCK, which a Galera cluster does not replicate) serialises
// concurrent migrators (several processes starting at once, on any node).
// DDL commits implicitly, so a crash between a statement and its version
// row is possible: an "already exists" error (duplicate column, key or
// table) is then taken as applied and recorded.
func applyMigrations(ctx context.Context, db *sqlx.DB, name string) error {
	conn, err := db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(useDatabaseSQL, name)); err != nil {
		return err
	}
	holder := fmt.Sprintf("migrate-%s-%d-%d", hostname(), os.Getpid(), time.Now().UnixNano())
	deadline := time.Now().Add(migrationLeaseWait)
	for {
		got, err := takeLease(ctx, conn, migrationLease, holder, migrationLeaseTTL)
		if err != nil {
			return fmt.Errorf("mysql: migration lease: %w", err)
		}
		if got {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("mysql: another process holds the migration lease %q", migrationLease)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(migrationLeasePause):
		}
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), releaseLeaseSQL, migrationLease, holder) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("mysql: create schema_migrations: %w", err)
	}
	var applied []int
	if err := conn.SelectContext(ctx, &applied, appliedMigrationsSQL); err != nil {
		return err
	}
	done := map[int]bool{}
	for _, v := range applied {
		done[v] = true
	}
	for _, m := range migrations {
		v := m.Version
		if done[v] {
			continue
		}
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil && !alreadyApplied(err) {
			return fmt.Errorf("mysql: migration %d: %w", v, err)
		}
		if _, err := conn.ExecContext(ctx, recordMigrationSQL, v); err != nil {
			return fmt.Errorf("mysql: record migration %d: %w", v, err)
		}
		if got, err := takeLease(ctx, conn, migrationLease, holder, migrationLeaseTTL); err != nil || !got {
			return fmt.Errorf("mysql: migration lease lost after migration %d (held past %s?): %v", v, migrationLeaseTTL, err)
		}
	}
	return nil
}

// hostname names the migrating host in its lease.
func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// alreadyApplied: duplicate column (1060), duplicate key name (1061),
// table exists (1050).
func alreadyApplied(err error) bool {
	var me *gomysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1060 || me.Number == 1061 || me.Number == 1050)
}
