// Command launcher runs a local, single-process Kubernetes control plane for integration tests:
// an embedded etcd 3.6 plus the real kube-apiserver (k8s.io/kubernetes/cmd/kube-apiserver/app)
// in-process, both on loopback. Once the API server is ready it writes a kubeconfig and prints
// exactly one JSON line on stdout:
//
//	{"kubeconfig":"<path>","server":"https://127.0.0.1:<port>","pid":<pid>,"dataDir":"<dir>"}
//
// Everything else goes to stderr (launcher messages) or to log files in the data dir
// (apiserver.log, etcd.log). SIGINT/SIGTERM, a closed stdin (--exit-on-stdin-close) or the
// death of the parent (--exit-with-parent) stop the API server and etcd cleanly; a temporary
// data dir is then removed and the process exits 0.
//
// No controller-manager, scheduler or kubelet runs: see /work/shared/test-cluster.md section 4.
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // for timeZone support in CronJob, as upstream's main

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/embed"
	genericapiserver "k8s.io/apiserver/pkg/server"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // as upstream's main
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // as upstream's main
	_ "k8s.io/component-base/metrics/prometheus/version"  // as upstream's main
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// Service-account issuer: fixed (not port-dependent) so that tokens survive a restart on a
// kept --data-dir. It is the value kubeadm clusters use.
const saIssuer = "https://kubernetes.default.svc.cluster.local"

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

type options struct {
	dataDir           string
	port              int
	exitOnStdinClose  bool
	exitWithParent    bool
	startupTimeout    time.Duration
	shutdownTimeout   time.Duration
	verbosity         int
	logFile           string
	extraAPIServerArg multiFlag
}

var stderr = os.Stderr // the real stderr; os.Stderr is redirected to the apiserver log file

func logf(format string, args ...any) {
	fmt.Fprintf(stderr, "control-plane: "+format+"\n", args...)
}

// teardown holds what must be undone however the process ends: normal return, a stop request,
// or a klog.Fatal inside kube-apiserver (see klog.OsExit below).
var teardown struct {
	mu      sync.Mutex
	done    bool
	etcd    *embed.Etcd
	tempDir string
	logPath string
}

// cleanup stops etcd (gracefully unless abrupt: the process is about to exit anyway and etcd's
// WAL is crash-safe) and removes a temporary data dir. Idempotent.
func cleanup(abrupt bool) {
	teardown.mu.Lock()
	defer teardown.mu.Unlock()
	if teardown.done {
		return
	}
	teardown.done = true
	if e := teardown.etcd; e != nil && !abrupt {
		t := time.Now()
		done := make(chan struct{})
		go func() { e.Close(); close(done) }()
		select {
		case <-done:
			logf("etcd stopped in %.1fs", time.Since(t).Seconds())
		case <-time.After(10 * time.Second):
			logf("etcd did not stop within 10s")
		}
	}
	if d := teardown.tempDir; d != "" {
		if err := os.RemoveAll(d); err != nil {
			logf("removing %s: %v", d, err)
		}
	}
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	fs := flag.NewFlagSet("launcher", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dataDir, "data-dir", "", "directory for etcd data, certificates, kubeconfig and logs; kept on exit (default: a fresh temp dir, removed on exit)")
	fs.IntVar(&o.port, "port", 0, "kube-apiserver secure port on 127.0.0.1 (0 = pick a free port)")
	fs.BoolVar(&o.exitOnStdinClose, "exit-on-stdin-close", false, "shut down when stdin reaches EOF (e.g. the parent process died)")
	fs.BoolVar(&o.exitWithParent, "exit-with-parent", false, "shut down when the parent process goes away (polls the parent pid)")
	fs.DurationVar(&o.startupTimeout, "startup-timeout", 120*time.Second, "give up if the API server is not ready within this time")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "after a stop request, force cleanup and exit after this time")
	fs.IntVar(&o.verbosity, "v", 0, "kube-apiserver log verbosity")
	fs.StringVar(&o.logFile, "log-file", "", "kube-apiserver (klog) log file; '-' = stderr (default: <data-dir>/apiserver.log)")
	fs.Var(&o.extraAPIServerArg, "apiserver-arg", "extra kube-apiserver flag, e.g. --apiserver-arg=--watch-cache=false (repeatable; replaces the launcher's default for the same flag)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		logf("unexpected arguments: %q", fs.Args())
		return 2
	}

	// A parent that dies closes our stdout/stderr pipes; a write to them must then fail with EPIPE
	// rather than kill the process (Go's default for fds 1 and 2) before it has cleaned up.
	signal.Ignore(syscall.SIGPIPE)

	// Keep stdout for the single ready line; anything else that writes to os.Stdout lands on stderr.
	stdout := os.Stdout
	os.Stdout = stderr

	// Creating the command installs kube-apiserver's SIGINT/SIGTERM handler
	// (genericapiserver.SetupSignalContext, once per process). Its context is our stop signal too.
	cmd := app.NewAPIServerCommand()
	ctx := cmd.Context()
	stopReason := make(chan string, 1)
	go supervise(ctx, &o, stopReason)

	// kube-apiserver ends the process with klog.Fatal in places, e.g. a PostStartHook that fails
	// with "context canceled" when a stop request arrives during startup. Clean up first.
	klog.OsExit = func(code int) {
		if ctx.Err() != nil {
			logf("kube-apiserver aborted while stopping (klog exit %d)", code)
			code = 0
		} else {
			logf("kube-apiserver exited fatally (klog exit %d)", code)
			dumpErrors(teardown.logPath, 20)
		}
		cleanup(true)
		os.Exit(code)
	}

	code := launch(ctx, cmd, &o, stdout)
	cleanup(false)
	select {
	case r := <-stopReason:
		logf("stopped (%s)", r)
	default:
	}
	return code
}

// supervise turns SIGINT/SIGTERM, stdin EOF and parent death into exactly one shutdown request
// for kube-apiserver. Its own handler exits the process on a *second* signal, which would skip
// our cleanup, so after the first request further SIGINT/SIGTERM are ignored
// (--shutdown-timeout bounds the shutdown instead; SIGKILL still works).
func supervise(ctx context.Context, o *options, reason chan<- string) {
	sigCh := make(chan os.Signal, 4)
	signal.Notify(sigCh, syscall.SIGINT, syscall.SIGTERM)
	trigger := make(chan string, 2)
	if o.exitOnStdinClose {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			trigger <- "stdin closed"
		}()
	}
	if o.exitWithParent {
		ppid := os.Getppid()
		go func() {
			for range time.Tick(500 * time.Millisecond) {
				if os.Getppid() != ppid {
					trigger <- "parent process exited"
					return
				}
			}
		}()
	}
	select {
	case s := <-sigCh:
		// kube-apiserver's handler received the same signal in the same dispatch.
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		reason <- "signal " + s.String()
	case r := <-trigger:
		// After Ignore returns no signal dispatch is in flight; if one slipped in before it,
		// kube-apiserver already has it, and a second request would make it os.Exit(1).
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
		select {
		case s := <-sigCh:
			r = "signal " + s.String()
		default:
			genericapiserver.RequestShutdown()
		}
		reason <- r
	case <-ctx.Done():
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	}
}

// launch does the work and returns the exit code; the caller runs cleanup.
func launch(ctx context.Context, cmd *cobra.Command, o *options, stdout *os.File) int {
	start := time.Now()
	dataDir := o.dataDir
	if dataDir == "" {
		d, err := os.MkdirTemp("", "litellm-operator-cp-")
		if err != nil {
			logf("creating temp dir: %v", err)
			return 1
		}
		dataDir = d
		teardown.mu.Lock()
		teardown.tempDir = d
		teardown.mu.Unlock()
	} else {
		d, err := filepath.Abs(dataDir)
		if err == nil {
			err = os.MkdirAll(d, 0o700)
		}
		if err != nil {
			logf("data dir: %v", err)
			return 1
		}
		dataDir = d
	}

	// kube-apiserver logs via klog to os.Stderr (looked up at each write): point it at a file.
	logPath := o.logFile
	if logPath == "" {
		logPath = filepath.Join(dataDir, "apiserver.log")
	}
	if logPath != "-" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			logf("log file: %v", err)
			return 1
		}
		os.Stderr = f // closed at exit
		teardown.logPath = logPath
	}
	fail := func(format string, args ...any) int {
		logf(format, args...)
		dumpErrors(teardown.logPath, 20)
		return 1
	}

	pki, err := ensurePKI(filepath.Join(dataDir, "pki"))
	if err != nil {
		return fail("certificates: %v", err)
	}

	port := o.port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return fail("free port: %v", err)
		}
	}

	etcd, etcdURL, err := startEtcd(ctx, dataDir)
	if err != nil {
		return fail("etcd: %v", err)
	}
	teardown.mu.Lock()
	teardown.etcd = etcd
	teardown.mu.Unlock()
	if ctx.Err() != nil {
		return 0 // stop requested while etcd was starting
	}

	args := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--cert-dir=" + pki.dir,
		"--tls-cert-file=" + pki.path("apiserver.crt"),
		"--tls-private-key-file=" + pki.path("apiserver.key"),
		"--client-ca-file=" + pki.path("ca.crt"),
		"--service-account-issuer=" + saIssuer,
		"--service-account-key-file=" + pki.path("sa.pub"),
		"--service-account-signing-key-file=" + pki.path("sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24",
		"--authorization-mode=RBAC",
		"--allow-privileged=true",
		// Both need controllers that do not run here (see test-cluster.md section 3.3).
		"--disable-admission-plugins=ServiceAccount,StorageObjectInUseProtection",
		"--shutdown-delay-duration=0s",
		"--profiling=false",
		"--v=" + strconv.Itoa(o.verbosity),
	}
	args = withOverrides(args, o.extraAPIServerArg)

	// What component-base/cli.Run does around Execute, minus os.Exit.
	cmd.SetArgs(args)
	cmd.SetOut(stderr)
	cmd.SetErr(stderr)
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetGlobalNormalizationFunc(cliflag.WordSepNormalizeFunc)
	logs.AddFlags(cmd.PersistentFlags())
	if pre := cmd.PersistentPreRunE; pre != nil {
		cmd.PersistentPreRunE = func(c *cobra.Command, a []string) error {
			logs.InitLogs()
			return pre(c, a)
		}
	}
	defer logs.FlushLogs()

	apiDone := make(chan error, 1)
	go func() { apiDone <- cmd.Execute() }()

	server := "https://127.0.0.1:" + strconv.Itoa(port)
	client, err := pki.adminClient()
	if err != nil {
		genericapiserver.RequestShutdown()
		return fail("admin client: %v", err)
	}
	if exited, apiErr, err := waitReady(ctx, client, server, o.startupTimeout, apiDone); err != nil {
		switch {
		case exited && ctx.Err() != nil:
			return 0
		case exited:
			return fail("kube-apiserver exited during startup: %v", apiErr)
		case ctx.Err() != nil: // stop requested while starting up: not an error
			return waitStopped(apiDone, o.shutdownTimeout)
		}
		code := fail("kube-apiserver not ready: %v", err)
		genericapiserver.RequestShutdown()
		waitStopped(apiDone, o.shutdownTimeout)
		return code
	}

	kubeconfig := filepath.Join(dataDir, "kubeconfig")
	if err := pki.writeKubeconfig(kubeconfig, server); err != nil {
		code := fail("kubeconfig: %v", err)
		genericapiserver.RequestShutdown()
		waitStopped(apiDone, o.shutdownTimeout)
		return code
	}

	line, _ := json.Marshal(struct {
		Kubeconfig string `json:"kubeconfig"`
		Server     string `json:"server"`
		PID        int    `json:"pid"`
		DataDir    string `json:"dataDir"`
	}{kubeconfig, server, os.Getpid(), dataDir})
	fmt.Fprintf(stdout, "%s\n", line)
	logf("ready in %.1fs: %s (data dir %s)", time.Since(start).Seconds(), server, dataDir)

	select {
	case err := <-apiDone:
		if ctx.Err() == nil {
			return fail("kube-apiserver exited unexpectedly: %v", err)
		}
		return 0
	case <-ctx.Done():
		return waitStopped(apiDone, o.shutdownTimeout)
	}
}

// withOverrides appends extra flags, dropping a default that sets the same flag (list flags
// such as --disable-admission-plugins would otherwise append to the default instead of replacing).
func withOverrides(defaults, extra []string) []string {
	name := func(a string) string { n, _, _ := strings.Cut(a, "="); return n }
	overridden := map[string]bool{}
	for _, a := range extra {
		overridden[name(a)] = true
	}
	var out []string
	for _, a := range defaults {
		if !overridden[name(a)] {
			out = append(out, a)
		}
	}
	return append(out, extra...)
}

// waitStopped waits (bounded) for kube-apiserver to return after a stop request.
func waitStopped(apiDone <-chan error, timeout time.Duration) int {
	t := time.Now()
	select {
	case err := <-apiDone:
		if err != nil {
			logf("kube-apiserver stopped with: %v", err)
		} else {
			logf("kube-apiserver stopped in %.1fs", time.Since(t).Seconds())
		}
	case <-time.After(timeout):
		logf("kube-apiserver did not stop within %s; forcing exit", timeout)
	}
	return 0
}

// waitReady polls /readyz, then the namespaces the system-namespaces controller creates
// (/readyz can be 200 before they exist). exited reports that kube-apiserver returned (apiErr).
func waitReady(ctx context.Context, client *http.Client, server string, timeout time.Duration, apiDone <-chan error) (exited bool, apiErr error, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	get := func(path string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, server+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, string(b)
	}
	pending := []string{"/readyz", "/api/v1/namespaces/default", "/api/v1/namespaces/kube-system",
		"/api/v1/namespaces/kube-public", "/api/v1/namespaces/kube-node-lease"}
	last := ""
	for len(pending) > 0 {
		status, body := get(pending[0])
		if status == http.StatusOK {
			pending = pending[1:]
			continue
		}
		last = fmt.Sprintf("GET %s: %d %s", pending[0], status, strings.TrimSpace(body))
		select {
		case <-ctx.Done():
			if pending[0] == "/readyz" {
				req, _ := http.NewRequest(http.MethodGet, server+"/readyz?verbose", nil)
				if resp, err := client.Do(req); err == nil {
					b, _ := io.ReadAll(io.LimitReader(resp.Body, 16384))
					resp.Body.Close()
					last += "\n" + string(b)
				}
			}
			return false, nil, fmt.Errorf("%w; last: %s", ctx.Err(), last)
		case apiErr := <-apiDone:
			return true, apiErr, fmt.Errorf("kube-apiserver exited: %v", apiErr)
		case <-time.After(100 * time.Millisecond):
		}
	}
	return false, nil, nil
}

func startEtcd(ctx context.Context, dataDir string) (*embed.Etcd, string, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ { // retry in case a picked port got taken
		cport, err := freePort()
		if err != nil {
			return nil, "", err
		}
		pport, err := freePort()
		if err != nil {
			return nil, "", err
		}
		curl := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(cport)}
		purl := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(pport)}
		cfg := embed.NewConfig()
		cfg.Name = "control-plane"
		cfg.Dir = filepath.Join(dataDir, "etcd")
		cfg.ListenClientUrls = []url.URL{curl}
		cfg.AdvertiseClientUrls = []url.URL{curl}
		cfg.ListenPeerUrls = []url.URL{purl}
		cfg.AdvertisePeerUrls = []url.URL{purl}
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
		cfg.UnsafeNoFsync = true // test data only
		cfg.WatchProgressNotifyInterval = 5 * time.Second
		cfg.Logger = "zap"
		cfg.LogLevel = "error"
		cfg.LogOutputs = []string{filepath.Join(dataDir, "etcd.log")}
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			lastErr = err
			if strings.Contains(err.Error(), "address already in use") {
				continue
			}
			return nil, "", err
		}
		select {
		case <-e.Server.ReadyNotify():
			return e, curl.String(), nil
		case err := <-e.Err():
			e.Close()
			return nil, "", err
		case <-time.After(60 * time.Second):
			e.Close()
			return nil, "", errors.New("not ready within 60s")
		case <-ctx.Done():
			return e, curl.String(), nil // caller sees ctx and shuts down
		}
	}
	return nil, "", lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// dumpErrors copies the last n error/fatal lines of the kube-apiserver log to stderr.
func dumpErrors(path string, n int) {
	if path == "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		l := sc.Text()
		if len(l) > 1 && (l[0] == 'E' || l[0] == 'F') && l[1] >= '0' && l[1] <= '9' && !strings.Contains(l, "grpc: addrConn.createTransport") {
			lines = append(lines, l)
			if len(lines) > n {
				lines = lines[1:]
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	logf("last %d error lines of %s:", len(lines), path)
	for _, l := range lines {
		if len(l) > 500 {
			l = l[:500] + "..."
		}
		fmt.Fprintln(stderr, "  "+l)
	}
}

// ---- certificates ----

type pkiFiles struct {
	dir string
}

func (p *pkiFiles) path(name string) string { return filepath.Join(p.dir, name) }

// ensurePKI reuses the certificates of a kept data dir while they are valid for another day,
// else (re)generates all of them: a CA, the serving cert (127.0.0.1, localhost, ::1), the admin
// client cert (CN=admin, O=system:masters) and the service-account signing key pair.
func ensurePKI(dir string) (*pkiFiles, error) {
	p := &pkiFiles{dir: dir}
	if p.valid() {
		return p, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	now := time.Now().Add(-time.Hour) // tolerate small clock differences
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "litellm-operator-test-ca"},
		NotBefore:             now,
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leaf := func(name string, tmpl *x509.Certificate) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl.SerialNumber = serial()
		tmpl.NotBefore = now
		tmpl.NotAfter = now.Add(365 * 24 * time.Hour)
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		if err := writePEM(p.path(name+".crt"), "CERTIFICATE", der); err != nil {
			return err
		}
		return writeKey(p.path(name+".key"), key)
	}
	if err := leaf("apiserver", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}); err != nil {
		return nil, err
	}
	if err := leaf("admin", &x509.Certificate{
		Subject:     pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return nil, err
	}
	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := writeKey(p.path("sa.key"), saKey); err != nil {
		return nil, err
	}
	if err := writePEM(p.path("sa.pub"), "PUBLIC KEY", saPub); err != nil {
		return nil, err
	}
	if err := writeKey(p.path("ca.key"), caKey); err != nil {
		return nil, err
	}
	// ca.crt last: its presence marks a complete set.
	if err := writePEM(p.path("ca.crt"), "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pkiFiles) valid() bool {
	for _, n := range []string{"ca.key", "sa.key", "sa.pub", "apiserver.key", "admin.key"} {
		if _, err := os.Stat(p.path(n)); err != nil {
			return false
		}
	}
	for _, n := range []string{"ca.crt", "apiserver.crt", "admin.crt"} {
		b, err := os.ReadFile(p.path(n))
		if err != nil {
			return false
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			return false
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil || time.Until(c.NotAfter) < 24*time.Hour {
			return false
		}
	}
	return true
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func (p *pkiFiles) adminClient() (*http.Client, error) {
	caPEM, err := os.ReadFile(p.path("ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("bad ca.crt")
	}
	cert, err := tls.LoadX509KeyPair(p.path("admin.crt"), p.path("admin.key"))
	if err != nil {
		return nil, err
	}
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
		},
	}, nil
}

func (p *pkiFiles) writeKubeconfig(path, server string) error {
	b64 := func(name string) (string, error) {
		b, err := os.ReadFile(p.path(name))
		return base64.StdEncoding.EncodeToString(b), err
	}
	ca, err := b64("ca.crt")
	if err != nil {
		return err
	}
	crt, err := b64("admin.crt")
	if err != nil {
		return err
	}
	key, err := b64("admin.key")
	if err != nil {
		return err
	}
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: local
  context:
    cluster: local
    user: admin
    namespace: default
current-context: local
`, server, ca, crt, key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
