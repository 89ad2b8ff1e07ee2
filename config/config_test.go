package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// setenv sets the variables for the rest of the (sub)test.
func setenv(t *testing.T, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
}

// unsetAll hides any ILL_* variable of the environment the test runs in,
// so that the defaults are what is read.
func unsetAll(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Tag.Get("envconfig")
		t.Setenv(name, "x") // registers the restore
		unsetenv(t, name)
	}
}

func TestLoadDefaults(t *testing.T) {
	unsetAll(t)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.MySQLDSN != "root:@tcp(127.0.0.1:3306)/illhub" || c.Workers != 8 || c.PublishTimeout != 4*time.Second ||
		c.RateLimit != 50 || c.MaxBodyBytes != 1<<20 || c.Demo || c.HubSymbol != "BALIS" || c.AMQPPrefix != "" ||
		c.ConsumersMetricsAddr != "127.0.0.1:9101" || c.ISORetention != 90*24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestLoadValues(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   []string
		check func(Config) bool
	}{
		{"a set empty value is not a default", []string{"ILL_CONSUMERS_METRICS_ADDR", ""},
			func(c Config) bool { return c.ConsumersMetricsAddr == "" }},
		{"int64", []string{"ILL_MAX_BODY_BYTES", "2048"}, func(c Config) bool { return c.MaxBodyBytes == 2048 }},
		{"float", []string{"ILL_RATE_LIMIT", "2.5"}, func(c Config) bool { return c.RateLimit == 2.5 }},
		{"bool", []string{"ILL_DEMO", "1"}, func(c Config) bool { return c.Demo }},
		{"duration", []string{"ILL_SHUTDOWN_TIMEOUT", "5s"}, func(c Config) bool { return c.ShutdownTimeout == 5*time.Second }},
		{"unprefixed names are ignored", []string{"TZ", "UTC", "WORKERS", "1"},
			func(c Config) bool { return c.TZ == "Asia/Shanghai" && c.Workers == 8 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			unsetAll(t)
			setenv(t, c.env...)
			got, err := Load()
			if err != nil || !c.check(got) {
				t.Errorf("%v %+v", err, got)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"ILL_WORKERS", "abc"}, "ILL_WORKERS"},
		{[]string{"ILL_WORKERS", ""}, "ILL_WORKERS"},
		{[]string{"ILL_DEMO", "yes"}, "ILL_DEMO"},
		{[]string{"ILL_SHUTDOWN_TIMEOUT", "5"}, "missing unit"},
		{[]string{"ILL_TZ", "UTC"}, "Asia/Shanghai only"},
		{[]string{"ILL_PREFETCH", "0"}, "must be at least 1"},
		{[]string{"ILL_KEY_CACHE_TTL", "2m"}, "between 1ms and 1m"},
		{[]string{"ILL_AUTH_FAIL_LIMIT", "0"}, "ILL_AUTH_FAIL_LIMIT must be at least 1"},
		{[]string{"ILL_ROTA_WEIGHTS", "speed=1"}, "ILL_ROTA_WEIGHTS"},
	} {
		t.Run(c.want, func(t *testing.T) {
			unsetAll(t)
			setenv(t, c.env...)
			_, err := Load()
			if err == nil || !strings.HasPrefix(err.Error(), "config: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: %v, want %q", c.env, err, c.want)
			}
		})
	}
}

// Every field is a documented ILL_ variable: a field without a tag would
// silently keep its zero value.
func TestEveryFieldIsAVariable(t *testing.T) {
	typ := reflect.TypeFor[Config]()
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if name := f.Tag.Get("envconfig"); !strings.HasPrefix(name, "ILL_") {
			t.Errorf("field %s has no ILL_ variable", f.Name)
		}
	}
}
