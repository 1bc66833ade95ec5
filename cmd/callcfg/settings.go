package main

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/uptrace/bun"

	"github.com/callcfg/callcfg/core"
	"github.com/callcfg/callcfg/db"
	"github.com/callcfg/callcfg/feed"
	"github.com/callcfg/callcfg/graph/trusted"
	"github.com/callcfg/callcfg/ops"
	"github.com/callcfg/callcfg/server"
)

// Every setting is a flag and, where it is a setting rather than an
// argument of one command, an environment variable. kong reads both
// through the same parser, so a value that is wrong is refused whichever
// way it comes (PLAYGROUND=maybe, REQUEST_TIMEOUT=10), with one line that
// names the flag and the variable, and exit status 2. Defaults come from the
// packages that own them (server.DefaultConfig, core.DefaultLoginPolicy)
// through kong's variables, so they are written once.

// dbSettings are the database settings every command takes.
type dbSettings struct {
	DatabaseURL          string `name:"database-url" env:"DATABASE_URL" default:"${databaseURL}" help:"postgres://user:pass@host:5432/db (production) or sqlite://PATH (embedded)."`
	DatabaseDirectURL    string `name:"database-direct-url" env:"DATABASE_DIRECT_URL" help:"A PostgreSQL URL that bypasses any transaction pooler, for what needs a session (migrations, the change listener); default: --database-url."`
	DBPreparedStatements string `name:"db-prepared-statements" env:"DB_PREPARED_STATEMENTS" enum:"on,off" default:"on" help:"off sends every statement unnamed, as PgBouncer before 1.21 in transaction mode needs (on, off)."`
}

// open connects to the database the requests go to.
func (d *dbSettings) open(ctx context.Context, opts db.Options) (*bun.DB, error) {
	opts.Unprepared = d.DBPreparedStatements == "off"
	return db.Open(ctx, d.DatabaseURL, opts)
}

// openDirect connects over the direct URL, for migrations: their lock,
// which keeps replicas from migrating at once, belongs to a session.
func (d *dbSettings) openDirect(ctx context.Context) (*bun.DB, error) {
	return db.Open(ctx, d.directURL(), db.Options{MaxOpenConns: 2, Unprepared: true})
}

// migrate applies pending migrations over the direct URL.
func (d *dbSettings) migrate(ctx context.Context) ([]string, error) {
	bdb, err := d.openDirect(ctx)
	if err != nil {
		return nil, err
	}
	defer bdb.Close()
	return db.Migrate(ctx, bdb)
}

// serveSettings are serve's settings.
type serveSettings struct {
	dbSettings `embed:""`

	Addr         string `name:"addr" env:"ADDR" default:"127.0.0.1:8080" help:"Listen address."`
	PublicURL    string `name:"public-url" env:"PUBLIC_URL" help:"scheme://host[:port][/prefix] of absolute links (call, Link, Location) behind a proxy; X-Forwarded-* headers are never trusted."`
	AllowedHosts string `name:"allowed-hosts" env:"ALLOWED_HOSTS" help:"Comma-separated Host header values to answer, as Django's ALLOWED_HOSTS (a leading dot matches subdomains, * any); others get 400. Empty: any."`
	Demo         bool   `name:"demo" help:"Seed demo data on an empty database and print demo API keys."`

	Playground    bool `name:"playground" env:"PLAYGROUND" default:"${playground}" negatable:"" help:"Serve GraphiQL at /graphiql."`
	Introspection bool `name:"introspection" env:"INTROSPECTION" default:"${introspection}" negatable:"" help:"Answer GraphQL schema introspection (anonymously too)."`
	Suggestions   bool `name:"suggestions" env:"SUGGESTIONS" default:"${suggestions}" negatable:"" help:"GraphQL validation errors may suggest field names."`

	GraphQLComplexity     int    `name:"graphql-complexity" env:"GRAPHQL_COMPLEXITY" default:"${complexity}" help:"GraphQL complexity limit; a connection costs its page size times its children, a totalCount 1000."`
	GraphQLDepth          int    `name:"graphql-depth" env:"GRAPHQL_DEPTH" default:"${depth}" help:"GraphQL depth limit."`
	GraphQLTokens         int    `name:"graphql-tokens" env:"GRAPHQL_TOKENS" default:"${tokens}" help:"GraphQL parser token limit."`
	GraphQLRootFields     int    `name:"graphql-root-fields" env:"GRAPHQL_ROOT_FIELDS" default:"${rootFields}" help:"Most root fields of one GraphQL operation, aliases and introspection included."`
	GraphQLMaxBodyBytes   int64  `name:"graphql-max-body-bytes" env:"GRAPHQL_MAX_BODY_BYTES" default:"${graphqlMaxBody}" help:"Largest GraphQL request: a POST body or a GET's parameters (413 above)."`
	TrustedDocuments      string `name:"trusted-documents" env:"TRUSTED_DOCUMENTS" help:"JSON manifest of the only GraphQL operations to run (graphql-codegen's persisted-documents.json or Apollo's persisted query manifest); reloaded on SIGHUP."`
	GraphQLOperationNames string `name:"graphql-operation-names" env:"GRAPHQL_OPERATION_NAMES" help:"Comma-separated GraphQL operation names counted by name in the metrics; others count as \"other\"."`
	MaxBodyBytes          int64  `name:"max-body-bytes" env:"MAX_BODY_BYTES" default:"${maxBody}" help:"Largest REST request body (413 above)."`

	RequestTimeout time.Duration `name:"request-timeout" env:"REQUEST_TIMEOUT" default:"${requestTimeout}" help:"Bound on a request's database work; past it 503 / UNAVAILABLE."`
	DBMaxConns     int           `name:"db-max-conns" env:"DB_MAX_CONNS" default:"0" help:"PostgreSQL connections per replica; 0 picks 4 per core."`

	LoginTokenTTL time.Duration `name:"login-token-ttl" env:"LOGIN_TOKEN_TTL" default:"${loginTokenTTL}" help:"Lifetime of keys issued by /api-auth/password/; 0: no expiry."`
	MaxLoginKeys  int           `name:"max-login-keys" env:"MAX_LOGIN_KEYS" default:"${maxLoginKeys}" help:"Live keys a user keeps from logins; a login revokes the oldest beyond; 0: no cap."`
	LoginRate     float64       `name:"login-rate" env:"LOGIN_RATE" default:"${loginRate}" help:"Login attempts per second per client address, per replica; 0: no limit."`
	LoginBurst    int           `name:"login-burst" env:"LOGIN_BURST" default:"${loginBurst}" help:"Login attempts a client address may make at once."`
	RateLimit     float64       `name:"rate-limit" env:"RATE_LIMIT" default:"0" help:"Requests per second per API key, per replica; 0: no limit."`
	RateBurst     int           `name:"rate-burst" env:"RATE_BURST" default:"50" help:"Requests an API key may make at once when --rate-limit is set."`

	SubscriptionsPerConnection    int           `name:"subscriptions-per-connection" env:"SUBSCRIPTIONS_PER_CONNECTION" default:"${subsPerConn}" help:"GraphQL subscriptions one WebSocket may carry (SUBSCRIPTION_LIMIT_EXCEEDED above)."`
	SubscriptionConnectionsPerKey int           `name:"subscription-connections-per-key" env:"SUBSCRIPTION_CONNECTIONS_PER_KEY" default:"${connsPerKey}" help:"Subscription connections (WebSockets, event streams) one API key may hold open, per replica (CONNECTION_LIMIT_EXCEEDED above)."`
	SubscriptionBuffer            int           `name:"subscription-buffer" env:"SUBSCRIPTION_BUFFER" default:"${subBuffer}" help:"Changes that may wait for one subscriber; one that falls further behind is closed (SUBSCRIBER_TOO_SLOW)."`
	SubscriptionRecheck           time.Duration `name:"subscription-recheck" env:"SUBSCRIPTION_RECHECK" default:"${subRecheck}" help:"How often every subscriber's key and call are checked again, so that a revoked key ends a quiet subscription within this long."`
	FeedPoll                      time.Duration `name:"feed-poll" env:"FEED_POLL" default:"${feedPoll}" help:"How often a replica reads the change feed without a notification: the most a change waits when its notification was lost."`

	CORSOrigins   string `name:"cors-origins" env:"CORS_ORIGINS" help:"Comma-separated origins (or *) allowed to call the API from a browser."`
	LogFormat     string `name:"log-format" env:"LOG_FORMAT" enum:"text,json" default:"text" help:"Log format (text, json)."`
	LogLevel      string `name:"log-level" env:"LOG_LEVEL" enum:"debug,info,warn,error" default:"info" help:"info logs one line per request; warn only problems (debug, info, warn, error)."`
	AdminAddr     string `name:"admin-addr" env:"ADMIN_ADDR" help:"Listen address of a second listener with pprof and /metrics, for operators only; off when empty."`
	PublicMetrics bool   `name:"public-metrics" env:"PUBLIC_METRICS" negatable:"" help:"Also serve /metrics on --addr."`

	ReadHeaderTimeout time.Duration `name:"read-header-timeout" env:"READ_HEADER_TIMEOUT" default:"10s" help:"HTTP server timeout."`
	ReadTimeout       time.Duration `name:"read-timeout" env:"READ_TIMEOUT" default:"30s" help:"HTTP server timeout."`
	WriteTimeout      time.Duration `name:"write-timeout" env:"WRITE_TIMEOUT" default:"60s" help:"HTTP server timeout."`
	IdleTimeout       time.Duration `name:"idle-timeout" env:"IDLE_TIMEOUT" default:"120s" help:"Keep-alive idle timeout."`
	DrainDelay        time.Duration `name:"drain-delay" env:"DRAIN_DELAY" default:"5s" help:"On SIGTERM, how long /readyz answers 503 while requests are still served, before the listener closes."`
	ShutdownTimeout   time.Duration `name:"shutdown-timeout" env:"SHUTDOWN_TIMEOUT" default:"20s" help:"Time given to requests in flight on SIGTERM, after the drain delay."`

	// Parsed by Validate.
	publicURL      *url.URL
	operationNames []string
	trustedDocs    *trusted.Store
}

// settingDefaults are the variables the default tags name.
func settingDefaults() kong.Vars {
	cfg, login := server.DefaultConfig(), core.DefaultLoginPolicy()
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	return kong.Vars{
		"databaseURL":    db.DefaultURL,
		"playground":     strconv.FormatBool(cfg.Playground),
		"introspection":  strconv.FormatBool(cfg.Introspection),
		"suggestions":    strconv.FormatBool(cfg.Suggestions),
		"complexity":     num(int64(cfg.GraphQLLimits.Complexity)),
		"depth":          num(int64(cfg.GraphQLLimits.Depth)),
		"tokens":         num(int64(cfg.GraphQLLimits.Tokens)),
		"rootFields":     num(int64(cfg.GraphQLLimits.RootFields)),
		"graphqlMaxBody": num(cfg.GraphQLMaxBodyBytes),
		"maxBody":        num(cfg.MaxBodyBytes),
		"requestTimeout": cfg.RequestTimeout.String(),
		"loginTokenTTL":  login.TokenTTL.String(),
		"maxLoginKeys":   num(int64(login.MaxKeys)),
		"loginRate":      strconv.FormatFloat(login.ClientRate, 'g', -1, 64),
		"loginBurst":     num(int64(login.ClientBurst)),
		"subsPerConn":    num(feed.DefaultSubscriptionsPerConn),
		"connsPerKey":    num(feed.DefaultConnsPerKey),
		"subBuffer":      num(feed.DefaultBuffer),
		"subRecheck":     feed.DefaultRecheck.String(),
		"feedPoll":       feed.DefaultPoll.String(),
	}
}

// Validate refuses values of the right type that would silently mean
// something else; kong calls it after parsing, and its error is a bad
// invocation (exit 2).
func (s *serveSettings) Validate() error {
	bad := func(flag string, v any, want string) error {
		return fmt.Errorf("--%s %v: want %s", flag, v, want)
	}
	nonNegative := func(f float64) bool { return f >= 0 && !math.IsInf(f, 0) }
	switch {
	case s.GraphQLComplexity < 1:
		return bad("graphql-complexity", s.GraphQLComplexity, "1 or more")
	case s.GraphQLDepth < 1:
		return bad("graphql-depth", s.GraphQLDepth, "1 or more")
	case s.GraphQLTokens < 1:
		return bad("graphql-tokens", s.GraphQLTokens, "1 or more")
	case s.GraphQLRootFields < 1:
		return bad("graphql-root-fields", s.GraphQLRootFields, "1 or more")
	case s.GraphQLMaxBodyBytes < 1:
		return bad("graphql-max-body-bytes", s.GraphQLMaxBodyBytes, "1 or more")
	case s.MaxBodyBytes < 1:
		return bad("max-body-bytes", s.MaxBodyBytes, "1 or more")
	case s.RequestTimeout <= 0:
		return bad("request-timeout", s.RequestTimeout, "a duration above 0")
	case s.DBMaxConns < 0:
		return bad("db-max-conns", s.DBMaxConns, "0 or more")
	case s.LoginTokenTTL < 0:
		return bad("login-token-ttl", s.LoginTokenTTL, "a duration of 0 or more")
	case s.MaxLoginKeys < 0:
		return bad("max-login-keys", s.MaxLoginKeys, "0 or more")
	case !nonNegative(s.LoginRate):
		return bad("login-rate", s.LoginRate, "a number of 0 or more")
	case s.LoginBurst < 1:
		return bad("login-burst", s.LoginBurst, "1 or more")
	case !nonNegative(s.RateLimit):
		return bad("rate-limit", s.RateLimit, "a number of 0 or more")
	case s.RateBurst < 1:
		return bad("rate-burst", s.RateBurst, "1 or more")
	case s.SubscriptionsPerConnection < 1:
		return bad("subscriptions-per-connection", s.SubscriptionsPerConnection, "1 or more")
	case s.SubscriptionConnectionsPerKey < 1:
		return bad("subscription-connections-per-key", s.SubscriptionConnectionsPerKey, "1 or more")
	case s.SubscriptionBuffer < 1:
		return bad("subscription-buffer", s.SubscriptionBuffer, "1 or more")
	case s.SubscriptionRecheck < time.Second:
		return bad("subscription-recheck", s.SubscriptionRecheck, "a duration of 1s or more")
	case s.FeedPoll < 10*time.Millisecond:
		return bad("feed-poll", s.FeedPoll, "a duration of 10ms or more")
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"read-header-timeout", s.ReadHeaderTimeout}, {"read-timeout", s.ReadTimeout}, {"write-timeout", s.WriteTimeout},
		{"idle-timeout", s.IdleTimeout}, {"drain-delay", s.DrainDelay}, {"shutdown-timeout", s.ShutdownTimeout},
	} {
		if d.v < 0 {
			return bad(d.flag, d.v, "a duration of 0 or more")
		}
	}
	if s.PublicURL != "" {
		u, err := url.Parse(s.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("public-url", strconv.Quote(s.PublicURL), "http(s)://host[:port]")
		}
		s.publicURL = u
	}
	names, err := ops.ParseOperationNames(s.GraphQLOperationNames)
	if err != nil {
		return fmt.Errorf("--graphql-operation-names: %v", err)
	}
	s.operationNames = names
	if s.TrustedDocuments != "" {
		if s.trustedDocs, err = trusted.Open(s.TrustedDocuments); err != nil {
			return fmt.Errorf("--trusted-documents: %v", err)
		}
	}
	return nil
}

// fromEnv adds, to an error about a flag whose value came from the
// environment, which variable it came from (kong says so for a value it
// cannot read, not for one outside an enum).
func fromEnv(parser *kong.Kong, err error) string {
	msg := err.Error()
	var found string
	_ = kong.Visit(parser.Model, func(n kong.Visitable, next kong.Next) error {
		if f, ok := n.(*kong.Flag); ok && found == "" {
			for _, env := range f.Envs {
				if _, set := os.LookupEnv(env); set && strings.Contains(msg, "--"+f.Name) && !strings.Contains(msg, env) {
					found = env
				}
			}
		}
		return next(nil)
	})
	if found != "" {
		msg += " (from $" + found + ")"
	}
	return msg
}

// config is the handler's part of the settings.
func (s *serveSettings) config() server.Config {
	cfg := server.DefaultConfig()
	cfg.PublicURL = s.publicURL
	cfg.Playground, cfg.Introspection, cfg.Suggestions = s.Playground, s.Introspection, s.Suggestions
	cfg.GraphQLLimits.Complexity = s.GraphQLComplexity
	cfg.GraphQLLimits.Depth = s.GraphQLDepth
	cfg.GraphQLLimits.Tokens = s.GraphQLTokens
	cfg.GraphQLLimits.RootFields = s.GraphQLRootFields
	cfg.GraphQLMaxBodyBytes = s.GraphQLMaxBodyBytes
	cfg.MaxBodyBytes = s.MaxBodyBytes
	cfg.RequestTimeout = s.RequestTimeout
	cfg.CORSOrigins = ops.ParseOrigins(s.CORSOrigins)
	cfg.AllowedHosts = ops.ParseHosts(s.AllowedHosts)
	cfg.PublicMetrics = s.PublicMetrics
	cfg.TrustedDocuments = s.trustedDocs
	return cfg
}

// feedOptions are the live feed's settings.
func (s *serveSettings) feedOptions() feed.Options {
	return feed.Options{
		Poll: s.FeedPoll, Recheck: s.SubscriptionRecheck, Buffer: s.SubscriptionBuffer,
		SubscriptionsPerConn: s.SubscriptionsPerConnection, ConnsPerKey: s.SubscriptionConnectionsPerKey,
		Timeout: s.RequestTimeout,
	}
}

// directURL is the URL that bypasses a transaction pooler.
func (d *dbSettings) directURL() string {
	if d.DatabaseDirectURL != "" {
		return d.DatabaseDirectURL
	}
	return d.DatabaseURL
}

// coreOptions is the core's part of the settings.
func (s *serveSettings) coreOptions() []core.Option {
	login := core.DefaultLoginPolicy()
	login.TokenTTL, login.MaxKeys = s.LoginTokenTTL, s.MaxLoginKeys
	login.ClientRate, login.ClientBurst = s.LoginRate, s.LoginBurst
	return []core.Option{core.WithLoginPolicy(login), core.WithRateLimit(s.RateLimit, s.RateBurst)}
}
