// Package mysql is illhub's storage adapter for MySQL 8 and MariaDB 10.11+.
//
// The repository owns the transaction: callers pass a closure to InTx, which
// runs it in one transaction and retries the whole closure on deadlock (1213)
// and lock wait timeout (1205) with bounded backoff. Inbox, state changes,
// events and outbox rows are written through the same *Tx, so they commit or
// roll back together.
//
// # Statements and locks
//
// Every statement is a package-level constant named for what it does
// (claimRequestSQL, purgeInboxSQL), next to the method that runs it, with
// a comment saying what it reads or writes and what it locks. Where a
// statement is completed in code (an IN list expanded by sqlx.In, a
// condition that applies only when a filter is given, a column chosen from
// an allow-list), the fixed parts are constants and the conditions built
// in code carry their values as ? arguments; %s in a constant marks where
// a built part goes (fmt.Sprintf).
//
// The lock comments assume the isolation the statement runs at:
//
//   - Statements run through a Tx (the methods on Tx, and the Store
//     methods that open one with InTx, such as RelayOutbox or Rollup) run
//     at READ COMMITTED (txConn): a plain read takes no locks and sees
//     what committed before it ran; FOR UPDATE and writes lock the rows
//     they match until commit, with no gap locks except where an INSERT
//     checks a unique key. On a duplicate key INSERT IGNORE takes a shared
//     lock on the existing row and INSERT ... ON DUPLICATE KEY UPDATE an
//     exclusive one: a record lock for a primary key, a next-key lock (gap
//     included) for a unique secondary key.
//   - Statements run on Store.DB directly run on their own (autocommit)
//     at READ COMMITTED too (Open sets it on every connection): a plain
//     read takes no locks, a write holds its row locks for the statement
//     only. The credential changes (keys.go) run in short transactions of
//     their own at REPEATABLE READ, named when they begin, for the
//     next-key locks they rely on.
//
// # Files
//
// Files are named for what they store, not for who calls them:
//
//   - doc.go: this comment.
//   - store.go: the Store, opening it (session settings of the DSN; every
//     connection opened at READ COMMITTED).
//   - ports.go: the ill ports Store and CalendarCache implement (compile-time checks).
//   - tx.go: InTx and Group, the transactions and their retries.
//   - txconn.go: txConn, a transaction's connection, which queues writes
//     into the round trip of the next statement.
//   - errors.go: not_found, unavailable and retryable errors.
//   - values.go: column value conversions and multi-row statements.
//   - migrations.go: Migrate, schema.sql and the numbered migrations
//     (schema_migrations).
//   - inbox.go: messages applied, per handler (inbox).
//   - outbox.go: follow-on messages and their relay (outbox).
//   - requests.go: the requests aggregate as the consumers lock and write
//     it: requests, rota, events.
//   - requests_read.go: reads of requests outside a transaction: the
//     history list, the console's queues and pull slip, missed deadlines,
//     counts.
//   - sched.go: the scheduler's claims of due requests (per state and due-date
//     window, with the 'no such notice yet' anti-join), the notices they have,
//     set-based state changes and timeline lines, batched notices and the
//     daily roll-up (stats_daily).
//   - readers.go: readers and their portal PINs (patrons).
//   - staff.go: console accounts (staff_users).
//   - sessions.go: web sessions (web_sessions).
//   - notices.go: notices to readers and libraries (notices).
//   - notes.go: notes between a request's libraries and how far each has
//     read them (request_notes, request_note_reads).
//   - notices_read.go: notices as staff and readers read them: a
//     request's, a reader's (notices).
//   - desk.go: the ILL desk: readers' deposit status and its audit trail
//     (patrons, reader_deposit_log), active counts and requests by item
//     barcode (requests).
//   - shipments.go: courier movements of items and their scans
//     (shipments, courier_scans).
//   - courier_runs.go: daily courier runs and their manifests
//     (courier_runs), the libraries' courier stops.
//   - review.go: the staff review list (courier_review).
//   - returns.go: a loan's return facts (return_checks).
//   - violations.go: overdue, damage and loss records and their
//     settlement (violations).
//   - fees.go: the lenders' fee rules as the console edits them
//     (libraries) and their history (library_policy_history).
//   - copies.go: delivered copies' files and downloads (copy_files), the
//     suppliers' copy prices (copy_prices), the centre's subsidy rules
//     (copy_subsidies), booked copy fees (copy_fees) and the copy link
//     added to a pending notice (notices).
//   - copyterms.go: the libraries' copy settings as the console and
//     illctl edit them (libraries) and their history
//     (library_policy_history).
//   - libraries.go: member libraries and their closures (libraries,
//     closures).
//   - directory.go: the Directory, libraries and closures served from
//     memory.
//   - reloading.go: a value reloaded from the database every TTL (the
//     calendar, the directory).
//   - calendar.go: the national calendar (calendar_years, calendar_days).
//   - keys.go: API keys and courier credentials (api_keys, courier_keys).
//   - audit.go: administrative actions (audit_log).
//   - admin.go: the centre's changes to members: create one, change only
//     the settings given (libraries).
//   - announcements.go: the centre's announcements on the home page
//     (announcements).
//   - catalog.go: union catalogue records as read for a citation or a
//     record page (records).
//   - holdings.go: members' holdings, their import and the matching
//     conflicts (holdings, records, catalog_conflicts).
//   - lenders.go: a record's lenders and their 90-day lending history, as
//     routing ranks them (holdings, rota, requests).
//   - search.go: the catalogue search (record_search, record_terms).
//   - search_index.go: maintaining and rebuilding the search index
//     (record_search, record_terms).
//   - iso18626.go: members' ISO 18626 registration and the messages
//     exchanged (iso18626_messages).
//   - ncip.go: members' NCIP registrations and the calls to their ILSs
//     (ncip_members, ncip_calls).
//   - locks.go: named locks across processes, as lease rows (leases.go).
//   - leases.go: leases, named work one holder has until they expire,
//     instead of GET_LOCK, which a Galera cluster does not replicate
//     (leases); the migration lease.
//   - job_runs.go: the scheduler's ticks, each claimed and run by one
//     scheduler (job_runs).
//   - reports.go: report queries (stats_daily, live figures, the lenders' turns).
//   - mediation.go: the mediation search URL templates (opac_templates),
//     escalated mediations and mediation spells (requests, events), the
//     routing facts of a page of records (holdings, libraries).
//   - reports_monthly.go: the monthly summary's schedule and the marks of the summaries sent.
//   - openurl.go: requests counted by where they came from (requests.source,
//     events), for the sources report.
//   - benchmark.go: the load tool's database-only ceiling transaction.
//   - demo.go: the demo dataset's bulk upserts (libraries, api_keys,
//     courier_keys, patrons, records, holdings) and the search index of the
//     records written.
//
// Tests sit beside what they test: holdings_test.go, search_test.go,
// requests_test.go (reads report an unreachable database as unavailable),
// readers_test.go (and the Store's own statements answering a lost database
// as unavailable), staff_test.go, sessions_test.go, notices_test.go,
// tx_test.go (Group and queued writes; a repeated request row is
// ErrRequestExists), txconn_internal_test.go (how long a duplicate key
// means that), outbox_test.go (the relay is
// told of commits that wrote outbox rows), directory_test.go,
// reloading_test.go, migrations_test.go, violations_test.go and fees_test.go
// (settlement and fee rules with their history), admin_test.go (member updates keep
// what they do not name; announcements), demo_test.go (the demo loads
// restore the demo values and add no rows when run again); doc_test.go
// keeps this map true; desk_test.go (deposit changes and their audit
// rows, barcode look-ups, a reader's notices); notes_test.go (the
// history query's search filters, a descending queue, notes between
// libraries with their outbox relay and unread counts);
// reports_monthly_test.go (the monthly summary's schedule and marks);
// copies_test.go (downloads counted to the limit under races, expiry and
// deletion marks, copy prices, subsidies and fees booked once);
// leases_test.go (leases taken, renewed, released and expired, one winner
// of many; every table InnoDB with a primary key); galera_errors_test.go
// (a Galera cluster's errors retried or unavailable, and a node that is
// not ready loses its connection); courier_runs_test.go (a shipment put on
// an open run in one statement, never on a missing or closed one) and
// every statement a named constant.
package mysql
