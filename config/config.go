// Package config reads illhub's configuration from ILL_* environment
// variables (SPEC 5.3). Every setting has a default that works against the
// local services of a development machine.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/balis/illhub/ill"
	"github.com/kelseyhightower/envconfig"
)

// Config is shared by every program; each uses the part it needs.
type Config struct {
	MySQLDSN   string `envconfig:"ILL_MYSQL_DSN" default:"root:@tcp(127.0.0.1:3306)/illhub"`
	AMQPURL    string `envconfig:"ILL_AMQP_URL" default:"amqp://guest:guest@127.0.0.1:5672/"` // one URL, or a comma-separated list of a cluster's nodes (rabbitmq.Dial)
	AMQPPrefix string `envconfig:"ILL_AMQP_PREFIX" default:""`                                // prefix for exchange/queue names (tests, side-by-side installs)
	HTTPAddr   string `envconfig:"ILL_HTTP_ADDR" default:":8080"`
	TZ         string `envconfig:"ILL_TZ" default:"Asia/Shanghai"`

	// Consumers.
	Workers       int           `envconfig:"ILL_WORKERS" default:"8"`        // concurrent deliveries per queue per process
	Prefetch      int           `envconfig:"ILL_PREFETCH" default:"16"`      // AMQP QoS per channel
	DeliveryLimit int           `envconfig:"ILL_DELIVERY_LIMIT" default:"5"` // attempts before the dead-letter queue
	OutboxPoll    time.Duration `envconfig:"ILL_OUTBOX_POLL" default:"200ms"`
	// GroupMax is how many prefetched deliveries a requests or courier
	// worker may apply in one transaction (rabbitmq.Consumer.Group); 1:
	// one transaction per delivery.
	GroupMax   int `envconfig:"ILL_GROUP_MAX" default:"8"`
	RotaLength int `envconfig:"ILL_ROTA_LENGTH" default:"5"`
	// DirectoryTTL is how long a process keeps the member directory
	// (libraries' settings, ISO 18626 registrations, closures) in memory
	// (mysql.Directory): a change made with illctl or the console reaches
	// running processes within it. 0: read the database every time.
	DirectoryTTL time.Duration `envconfig:"ILL_DIRECTORY_TTL" default:"30s"`
	// RotaWeights weigh the soft routing criteria, e.g. "load=1,fill_rate=2,response=0.5"
	// (ill.ParseRotaWeights); empty: strict order (load, fill rate, response time).
	RotaWeights string `envconfig:"ILL_ROTA_WEIGHTS" default:""`
	// ConsumersMetricsAddr serves /metrics and /healthz of a consumers
	// process ("" disables; a second process on the same host finds the
	// port taken and runs without it).
	ConsumersMetricsAddr string `envconfig:"ILL_CONSUMERS_METRICS_ADDR" default:"127.0.0.1:9101"`
	PolicyFile           string `envconfig:"ILL_POLICY_FILE" default:""` // R2 eligibility; built-in default when empty

	// Producer.
	PublishTimeout time.Duration `envconfig:"ILL_PUBLISH_TIMEOUT" default:"4s"` // 503 after this without a confirm
	// IntakeBacklog holds new requests (submits, ISO 18626 requests) while
	// more messages than this are ready in the requests and ISO 18626
	// queues, at most IntakeWait, then answers 503 (0: never hold).
	IntakeBacklog int           `envconfig:"ILL_INTAKE_BACKLOG" default:"64"`
	IntakeWait    time.Duration `envconfig:"ILL_INTAKE_WAIT" default:"2s"`
	MaxBodyBytes  int64         `envconfig:"ILL_MAX_BODY_BYTES" default:"1048576"`
	HubSymbol     string        `envconfig:"ILL_HUB_SYMBOL" default:"BALIS"`
	RateLimit     float64       `envconfig:"ILL_RATE_LIMIT" default:"50"`  // requests per second per API key (0: no limit)
	RateBurst     int           `envconfig:"ILL_RATE_BURST" default:"100"` // burst allowance per API key
	// KeyCacheTTL is how long the producer remembers a resolved API key or
	// courier credential, and a failed lookup: a revoked key is refused at
	// most this long after `illctl key revoke` (at most 1 minute).
	KeyCacheTTL time.Duration `envconfig:"ILL_KEY_CACHE_TTL" default:"2s"`
	// AuthFailLimit is how many lookups of unknown or revoked keys one
	// client address may cause within a minute; beyond it the producer
	// answers 429 with Retry-After without asking the database.
	AuthFailLimit int `envconfig:"ILL_AUTH_FAIL_LIMIT" default:"20"`

	// Notices (notifier pool). With ILL_SMTP_ADDR empty no e-mail is sent
	// and notices without another channel are stored as not_configured.
	SMTPAddr       string        `envconfig:"ILL_SMTP_ADDR" default:""`                    // host:port
	SMTPFrom       string        `envconfig:"ILL_SMTP_FROM" default:"illhub@balis.edu.cn"` // envelope and From: address
	SMTPUsername   string        `envconfig:"ILL_SMTP_USERNAME" default:""`
	SMTPPassword   string        `envconfig:"ILL_SMTP_PASSWORD" default:""`
	SMTPTLS        string        `envconfig:"ILL_SMTP_TLS" default:"starttls"` // none, starttls or tls
	WebhookTimeout time.Duration `envconfig:"ILL_WEBHOOK_TIMEOUT" default:"5s"`
	NoticeAttempts int           `envconfig:"ILL_NOTICE_ATTEMPTS" default:"5"` // delivery attempts before status failed + dead letter

	// Scheduler: cron specs (Asia/Shanghai) per job; empty = the default
	// of sched.DefaultSpecs.
	SchedRespondDeadline  string `envconfig:"ILL_SCHED_RESPOND_DEADLINE" default:""`
	SchedShipDeadline     string `envconfig:"ILL_SCHED_SHIP_DEADLINE" default:""`
	SchedDeliverDeadline  string `envconfig:"ILL_SCHED_DELIVER_DEADLINE" default:""`
	SchedOverdue          string `envconfig:"ILL_SCHED_OVERDUE" default:""`
	SchedRecallExpiry     string `envconfig:"ILL_SCHED_RECALL_EXPIRY" default:""`
	SchedCourtesy         string `envconfig:"ILL_SCHED_COURTESY" default:""`
	SchedCalendarCoverage string `envconfig:"ILL_SCHED_CALENDAR_COVERAGE" default:""`
	SchedRollup           string `envconfig:"ILL_SCHED_ROLLUP" default:""`
	SchedBatch            int    `envconfig:"ILL_SCHED_BATCH" default:"1000"`       // rows claimed per transaction
	OverdueNoticeFirst    int    `envconfig:"ILL_OVERDUE_NOTICE_FIRST" default:"1"` // first overdue notice: day N after due
	OverdueNoticeEvery    int    `envconfig:"ILL_OVERDUE_NOTICE_EVERY" default:"7"` // then every N days
	SchedulerMetricsAddr  string `envconfig:"ILL_SCHEDULER_METRICS_ADDR" default:"127.0.0.1:9102"`

	// Scheduler, courier jobs.
	SchedCourierCutoff     string `envconfig:"ILL_SCHED_COURIER_CUTOFF" default:""`
	SchedCourierExceptions string `envconfig:"ILL_SCHED_COURIER_EXCEPTIONS" default:""`

	// ISO 18626: delivery of outbound messages to member systems.
	ISOBackoff time.Duration `envconfig:"ILL_ISO_BACKOFF" default:"2s"`  // first retry delay, doubled per attempt (max 1 min)
	ISOTimeout time.Duration `envconfig:"ILL_ISO_TIMEOUT" default:"10s"` // per HTTP post to a member
	// The iso pool per consumers process: concurrent deliveries, the
	// broker's prefetch per worker (1: no message waits behind another
	// worker's slow post), and deliveries posting to one member at once
	// (so one slow member cannot hold the others).
	ISOWorkers   int `envconfig:"ILL_ISO_WORKERS" default:"16"`
	ISOPrefetch  int `envconfig:"ILL_ISO_PREFETCH" default:"1"`
	ISOPerMember int `envconfig:"ILL_ISO_PER_MEMBER" default:"4"`

	// NCIP: calls to the members' local library systems (docs/ncip.md).
	NCIPBackoff time.Duration `envconfig:"ILL_NCIP_BACKOFF" default:"2s"`  // first retry delay, doubled per attempt (max 1 min)
	NCIPTimeout time.Duration `envconfig:"ILL_NCIP_TIMEOUT" default:"10s"` // per HTTP post to a member's ILS

	// ISORetention is how long inbound and outbound ISO 18626 messages are
	// kept in iso18626_messages before the iso18626-retention job deletes
	// them (the request's own events stay).
	ISORetention      time.Duration `envconfig:"ILL_ISO_RETENTION" default:"2160h"`
	SchedISORetention string        `envconfig:"ILL_SCHED_ISO_RETENTION" default:""`

	// Demo enables the demo dataset's well-known credentials: `illctl seed
	// demo` refuses to run without it, demo-key-* keys authenticate only
	// with it, and the producer refuses to start without it while the
	// database holds active demo keys. Set by `make demo` and the tests.
	Demo bool `envconfig:"ILL_DEMO" default:"false"`
	// MetricsToken, when set, lets a scraper that is not on this host read
	// the producer's /metrics with Authorization: Bearer <token>; loopback
	// clients need none, others without it get 404.
	MetricsToken string `envconfig:"ILL_METRICS_TOKEN" default:""`

	// Electronic delivery of copies (docs/delivery.md). Files live in a
	// directory (local) or an S3-compatible bucket (s3); every page is
	// stamped in the CJK font ILL_STAMP_FONT (empty: the English line);
	// download links are signed with ILL_LINK_SECRET (required outside a
	// demo), valid ILL_DOWNLOAD_DAYS days for ILL_DOWNLOAD_LIMIT downloads,
	// and point at ILL_PUBLIC_URL (empty: links relative to the site).
	FilesBackend    string `envconfig:"ILL_FILES_BACKEND" default:"local"`
	FilesDir        string `envconfig:"ILL_FILES_DIR" default:"/var/lib/illhub/files"`
	S3Endpoint      string `envconfig:"ILL_S3_ENDPOINT" default:""`
	S3Bucket        string `envconfig:"ILL_S3_BUCKET" default:""`
	S3AccessKey     string `envconfig:"ILL_S3_ACCESS_KEY" default:""`
	S3SecretKey     string `envconfig:"ILL_S3_SECRET_KEY" default:""`
	S3Region        string `envconfig:"ILL_S3_REGION" default:""`
	S3TLS           bool   `envconfig:"ILL_S3_TLS" default:"true"`
	StampFont       string `envconfig:"ILL_STAMP_FONT" default:"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"`
	LinkSecret      string `envconfig:"ILL_LINK_SECRET" default:""`
	DownloadDays    int    `envconfig:"ILL_DOWNLOAD_DAYS" default:"14"`
	DownloadLimit   int    `envconfig:"ILL_DOWNLOAD_LIMIT" default:"5"`
	UploadMaxMB     int    `envconfig:"ILL_UPLOAD_MAX_MB" default:"50"`
	PublicURL       string `envconfig:"ILL_PUBLIC_URL" default:""`
	SchedCopyExpiry string `envconfig:"ILL_SCHED_COPY_EXPIRY" default:""`

	DrainDelay      time.Duration `envconfig:"ILL_DRAIN_DELAY" default:"0s"` // producer: /readyz 503 this long before the listener closes
	ShutdownTimeout time.Duration `envconfig:"ILL_SHUTDOWN_TIMEOUT" default:"20s"`
	LogLevel        string        `envconfig:"ILL_LOG_LEVEL" default:"info"`
	LogFormat       string        `envconfig:"ILL_LOG_FORMAT" default:"text"` // text or json
}

// Load reads the ILL_* variables of the process environment with
// envconfig: each field's `envconfig` tag names its variable and `default`
// its value when the variable is unset. A variable set to the empty string
// is taken as given, not as unset: ILL_CONSUMERS_METRICS_ADDR= disables the
// consumers' metrics port, and ILL_WORKERS= is an error.
func Load() (Config, error) {
	var c Config
	// Full names and an empty prefix: envconfig would otherwise fall back
	// to the unprefixed name (an inherited TZ=UTC or WORKERS=… from the
	// environment would be taken as ILL_TZ or ILL_WORKERS).
	if err := envconfig.Process("", &c); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	if c.TZ != "Asia/Shanghai" {
		return c, fmt.Errorf("config: ILL_TZ=%q: BALIS deadlines are defined in Asia/Shanghai only", c.TZ)
	}
	if c.Workers < 1 || c.Prefetch < 1 || c.DeliveryLimit < 1 {
		return c, fmt.Errorf("config: ILL_WORKERS, ILL_PREFETCH and ILL_DELIVERY_LIMIT must be at least 1")
	}
	if c.ISOWorkers < 1 || c.ISOPrefetch < 1 || c.ISOPerMember < 1 {
		return c, fmt.Errorf("config: ILL_ISO_WORKERS, ILL_ISO_PREFETCH and ILL_ISO_PER_MEMBER must be at least 1")
	}
	if c.KeyCacheTTL <= 0 || c.KeyCacheTTL > time.Minute {
		return c, fmt.Errorf("config: ILL_KEY_CACHE_TTL=%s: between 1ms and 1m (how long a revoked key may still work)", c.KeyCacheTTL)
	}
	if c.AuthFailLimit < 1 {
		return c, fmt.Errorf("config: ILL_AUTH_FAIL_LIMIT must be at least 1")
	}
	if c.FilesBackend != "local" && c.FilesBackend != "s3" {
		return c, fmt.Errorf("config: ILL_FILES_BACKEND=%q: local or s3", c.FilesBackend)
	}
	if c.DownloadDays < 1 || c.DownloadLimit < 1 || c.UploadMaxMB < 1 {
		return c, fmt.Errorf("config: ILL_DOWNLOAD_DAYS, ILL_DOWNLOAD_LIMIT and ILL_UPLOAD_MAX_MB must be at least 1")
	}
	if _, err := ill.ParseRotaWeights(c.RotaWeights); err != nil {
		return c, fmt.Errorf("config: ILL_ROTA_WEIGHTS: %w", err)
	}
	return c, nil
}

// Weights returns the parsed ILL_ROTA_WEIGHTS (validated by Load).
func (c Config) Weights() ill.RotaWeights {
	w, _ := ill.ParseRotaWeights(c.RotaWeights)
	return w
}

// SchedSpecs maps job names to the configured cron specs.
func (c Config) SchedSpecs() map[string]string {
	return map[string]string{
		"respond-deadline": c.SchedRespondDeadline, "ship-deadline": c.SchedShipDeadline,
		"deliver-deadline": c.SchedDeliverDeadline, "overdue": c.SchedOverdue,
		"recall-expiry": c.SchedRecallExpiry, "courtesy": c.SchedCourtesy,
		"calendar-coverage": c.SchedCalendarCoverage, "rollup": c.SchedRollup,
		"courier-cutoff": c.SchedCourierCutoff, "courier-exceptions": c.SchedCourierExceptions,
		"iso18626-retention": c.SchedISORetention, "copy-expiry": c.SchedCopyExpiry,
	}
}

// Logger builds the process logger writing to w (the program's standard
// error); program names every line.
func (c Config) Logger(w io.Writer, program string) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	if strings.EqualFold(c.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h).With("program", program)
}
