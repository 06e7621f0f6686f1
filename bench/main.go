// Command bench is agentdesk's load runner. It seeds a sized workspace,
// starts the agentdesk binary and the pgx baseline (the same SQL without
// ORM or GraphQL) as separate processes on loopback, and for each scenario
// measures maximum throughput of both, then latency at a fixed rate, the SQL
// statements per request and the server's peak RSS.
//
//	go build -o /tmp/agentdesk . && go run ./bench -bin /tmp/agentdesk \
//	  -db 'postgres://postgres@127.0.0.1:5432/agentdesk_bench?sslmode=disable'
//
// The database must exist; the runner migrates it and seeds a new workspace
// each run. See docs/PERFORMANCE.md for figures.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"agentdesk/auth"
	"agentdesk/db"
	"agentdesk/demo"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		// Child process: serve the baseline.
		if err := serveBaseline(context.Background(), os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	bin, dbURL, scenarios, cpuProfile, serverLog string
	agents, conversations, rate                  int
	workers, runs, replicas                      int
	duration, slice                              time.Duration
}

func run() error {
	var o options
	flag.StringVar(&o.bin, "bin", "", "agentdesk binary (go build -o /tmp/agentdesk .)")
	flag.StringVar(&o.dbURL, "db", "", "PostgreSQL DATABASE_URL of an existing database")
	flag.StringVar(&o.scenarios, "scenarios", "agents,conversations,viewer,inviteAgent", "scenarios to run")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of agentdesk under maximum load of the first scenario here")
	flag.StringVar(&o.serverLog, "serverlog", "", "append agentdesk's log to this file (default: discard it)")
	flag.IntVar(&o.agents, "agents", 1000, "agents in the seeded workspace")
	flag.IntVar(&o.conversations, "conversations", 100_000, "conversations in the seeded workspace")
	flag.IntVar(&o.rate, "rate", 200, "requests per second of the fixed-rate runs")
	flag.IntVar(&o.workers, "workers", 16, "concurrent clients of the maximum-rate runs")
	flag.IntVar(&o.runs, "runs", 3, "runs of each measurement; medians are reported")
	flag.IntVar(&o.replicas, "replicas", 1, "agentdesk replicas on the database, loaded in turn (round-robin)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measurement")
	flag.DurationVar(&o.slice, "slice", 2*time.Second, "maximum-rate runs alternate between agentdesk and the baseline in slices this long")
	flag.Parse()
	if o.bin == "" || o.dbURL == "" {
		return fmt.Errorf("-bin and -db are required")
	}
	ctx := context.Background()

	database, err := db.Open(o.dbURL, db.Options{})
	if err != nil {
		return err
	}
	if err := database.Migrate(ctx); err != nil {
		return err
	}
	runID := time.Now().Unix()
	start := time.Now()
	seeded, err := demo.Seed(ctx, database, auth.NewPasswords(auth.DefaultArgon2), fmt.Sprintf("Bench %d", runID),
		demo.Size{Agents: o.agents, Conversations: o.conversations, MessagesPerConversation: 2})
	if err == nil {
		// Fresh statistics, and no autovacuum of the new rows during the runs.
		err = database.Exec("VACUUM ANALYZE").Error
	}
	database.Close()
	if err != nil {
		return err
	}
	fmt.Printf("seeded %d agents and %d conversations in %s\n", o.agents, o.conversations, time.Since(start).Round(time.Millisecond))

	baselineAddr, pprofAddr := freeAddr(), freeAddr()
	var servers []*exec.Cmd
	var serverAddrs []string
	for i := range max(o.replicas, 1) {
		addr := freeAddr()
		server := exec.Command(o.bin)
		server.Env = append(os.Environ(), "DATABASE_URL="+o.dbURL, "LISTEN_ADDR="+addr, "APP_ENV=production", "SMTP_URL=log:",
			"RATE_LIMIT_PER_IP=100000000", "RATE_LIMIT_PER_EMAIL=100000000",
			// The inviteAgent scenario measures the write path of a seeded (so
			// new) workspace, far beyond what the mail limits let one send.
			"MAIL_WORKSPACE_DAILY_LIMIT=100000000", "MAIL_NEW_WORKSPACE_DAILY_LIMIT=100000000",
			// The load generator is one client standing for many.
			"MAX_REQUESTS_PER_CLIENT=100000")
		if i == 0 {
			server.Env = append(server.Env, "PPROF_ADDR="+pprofAddr)
		}
		server.Stdout, server.Stderr = io.Discard, io.Discard
		if o.serverLog != "" {
			logFile, err := os.OpenFile(o.serverLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				return err
			}
			defer logFile.Close()
			server.Stdout, server.Stderr = logFile, logFile
		}
		servers, serverAddrs = append(servers, server), append(serverAddrs, addr)
	}
	serverAddr := serverAddrs[0]
	self, _ := os.Executable()
	base := exec.Command(self, "baseline", o.dbURL, baselineAddr)
	base.Stderr = os.Stderr
	for _, c := range append(slices.Clone(servers), base) {
		if err := c.Start(); err != nil {
			return err
		}
		defer c.Process.Kill()
	}
	for _, addr := range serverAddrs {
		if err := waitHTTP("http://"+addr+"/readyz", 30*time.Second); err != nil {
			return err
		}
	}
	if err := waitTCP(baselineAddr, 30*time.Second); err != nil {
		return err
	}
	// What the replicas used and ran, added up.
	serversCPU := func() time.Duration {
		var sum time.Duration
		for _, c := range servers {
			sum += cpuTime(c.Process.Pid)
		}
		return sum
	}
	serversStatements := func() float64 {
		var sum float64
		for _, addr := range serverAddrs {
			sum += metric("http://"+addr+"/metrics", "agentdesk_sql_statements_total")
		}
		return sum
	}

	var login struct{ Login struct{ Token string } }
	if err := graphql(ctx, "http://"+serverAddr+"/query", "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`,
		map[string]any{"e": seeded.OwnerEmail, "p": seeded.OwnerPassword}, &login); err != nil {
		return err
	}
	token := login.Login.Token
	var roles struct{ Roles []struct{ ID, Name string } }
	if err := graphql(ctx, "http://"+serverAddr+"/query", token, `{ roles { id name } }`, nil, &roles); err != nil {
		return err
	}
	agentRole := ""
	for _, r := range roles.Roles {
		if r.Name == "Agent" {
			agentRole = r.ID
		}
	}
	var endpoints []string
	for _, addr := range serverAddrs {
		endpoints = append(endpoints, "http://"+addr+"/query")
	}
	agentdesk := RoundRobin(endpoints, token)
	baseline := Target{URL: "http://" + baselineAddr + "/query", Token: token}

	fmt.Printf("\n| scenario | agentdesk max req/s | baseline max req/s | ratio | p50 / p95 / p99 at %d req/s | errors | SQL statements per request | CPU per request, agentdesk / baseline |\n", o.rate)
	fmt.Println("|---|---|---|---|---|---|---|---|")
	profiled := false
	for _, sc := range Scenarios(agentRole, runID) {
		if !slices.Contains(strings.Split(o.scenarios, ","), sc.Name) {
			continue
		}
		// Warm both up: connection pools, prepared statements, caches, and
		// agentdesk's start-up work (migrations check, job queue election).
		MaxRate(ctx, agentdesk, sc, o.workers, 3*time.Second)
		MaxRate(ctx, baseline, sc, o.workers, 3*time.Second)
		if !profiled && o.cpuProfile != "" {
			profiled = true
			go func() { _ = fetchProfile("http://"+pprofAddr, o.cpuProfile, o.duration) }()
		}
		var ours, theirs, ratios []float64
		var fixedRuns []Result
		errors := 0
		statements := []float64{}
		var ourCPU, theirCPU []float64
		for range o.runs {
			// agentdesk and the baseline take turns in slices of the run, so
			// that drifts in the machine's speed (by a third within minutes
			// on a shared machine) weigh on both alike.
			var a, b Result
			var ourTime, theirTime time.Duration
			var ourStatements float64
			for done := time.Duration(0); done < o.duration; done += o.slice {
				d := min(o.slice, o.duration-done)
				before := serversStatements()
				cpuBefore := serversCPU()
				a = a.Add(MaxRate(ctx, agentdesk, sc, o.workers, d))
				ourTime += serversCPU() - cpuBefore
				ourStatements += serversStatements() - before
				cpuBefore = cpuTime(base.Process.Pid)
				b = b.Add(MaxRate(ctx, baseline, sc, o.workers, d))
				theirTime += cpuTime(base.Process.Pid) - cpuBefore
			}
			ourCPU = append(ourCPU, perRequest(ourTime, a.Requests))
			theirCPU = append(theirCPU, perRequest(theirTime, b.Requests))
			f := FixedRate(ctx, agentdesk, sc, o.rate, o.duration, 1000)
			ours, theirs = append(ours, a.RPS()), append(theirs, b.RPS())
			ratios = append(ratios, a.RPS()/b.RPS())
			fixedRuns = append(fixedRuns, f)
			errors += a.Errors + b.Errors + f.Errors
			statements = append(statements, ourStatements/float64(max(a.Requests, 1)))
			for _, r := range []Result{a, b, f} {
				if r.FirstError != "" {
					fmt.Fprintf(os.Stderr, "%s: %s\n", sc.Name, r.FirstError)
				}
			}
		}
		slices.SortFunc(fixedRuns, func(x, y Result) int { return int(x.P99 - y.P99) })
		f := fixedRuns[len(fixedRuns)/2]
		fmt.Printf("| %s | %.0f | %.0f | %.0f%% | %s / %s / %s | %d | %.1f | %.2f ms / %.2f ms |\n", sc.Name, median(ours), median(theirs),
			100*median(ratios), ms(f.P50), ms(f.P95), ms(f.P99), errors, median(statements), median(ourCPU), median(theirCPU))
	}
	for i, c := range servers {
		fmt.Printf("\nagentdesk replica %d of %d peak RSS: %s MB (VmHWM)", i+1, len(servers), peakRSS(c.Process.Pid))
	}
	fmt.Println()
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(url string, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", url)
}

func waitTCP(addr string, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer", addr)
}

// metric reads one unlabelled counter from a Prometheus endpoint.
func metric(url, name string) float64 {
	res, err := http.Get(url)
	if err != nil {
		return 0
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// cpuTime is the user plus system CPU time a process has used so far
// (/proc/<pid>/stat, in clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; count from after it.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// perRequest is CPU time per request in milliseconds.
func perRequest(cpu time.Duration, requests int) float64 {
	return float64(cpu) / float64(time.Millisecond) / float64(max(requests, 1))
}

// peakRSS is the process's resident-set high-water mark, from /proc.
func peakRSS(pid int) string {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for line := range bytes.Lines(raw) {
		if v, ok := strings.CutPrefix(string(line), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return fmt.Sprintf("%.1f", float64(kb)/1024)
		}
	}
	return "?"
}

func fetchProfile(pprofURL, path string, d time.Duration) error {
	res, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, res.Body)
	return err
}
