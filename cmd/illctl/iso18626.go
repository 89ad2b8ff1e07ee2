package main

// illctl iso18626 simulate|post.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/demo"
	"github.com/balis/illhub/iso18626"
	"github.com/balis/illhub/iso18626/member"
)

func iso18626Cmd(ctx context.Context, cfg config.Config, sub string, args []string, out, stderr io.Writer) error {
	switch sub {
	case "simulate":
		fs := flags("iso18626 simulate [flags]", "Runs a tiny ISO 18626 member system (the demo's "+demo.ISOMember+") until interrupted: it confirms what the\n"+
			"hub sends it and, as a lender, answers a request with WillSupply then Loaned, a Cancel with\nCancelResponse Y and a ShippedReturn with LoanCompleted.\n", args, out)
		listen := fs.String("listen", "127.0.0.1:9180", "address of its endpoint (path /iso18626)")
		hub := fs.String("hub", hubURL(cfg), "the hub's ISO 18626 endpoint")
		symbol := fs.String("symbol", demo.ISOMember, "the member's symbol")
		code := fs.String("security-code", demo.ISOMemberSecret, "the member's secret, sent in requestingAgencyAuthentication/securityCode")
		delay := fs.Duration("delay", 2*time.Second, "pause before each answer")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		log := cfg.Logger(stderr, "iso18626-simulate")
		mux := http.NewServeMux()
		mux.Handle("POST /iso18626", &member.Sim{Symbol: *symbol, SecurityCode: *code, Hub: *hub, Delay: *delay, Log: log})
		srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { <-ctx.Done(); _ = srv.Close() }()
		log.Info("simulated ISO 18626 member system listening", "symbol", *symbol, "endpoint", "http://"+*listen+"/iso18626", "hub", *hub)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case "post":
		fs := flags("iso18626 post FILE [--hub URL] [--symbol S --secret X]", "Posts an ISO 18626 XML file (- for stdin) to the hub and prints the confirmation. The sender\n"+
			"authenticates with the file's requestingAgencyAuthentication/securityCode, or with --symbol and --secret\n(sent as HTTP Basic credentials).\n", args, out)
		hub := fs.String("hub", hubURL(cfg), "the hub's ISO 18626 endpoint")
		symbol := fs.String("symbol", "", "the sending agency's symbol (HTTP Basic user)")
		secret := fs.String("secret", "", "the sending agency's secret (HTTP Basic password)")
		pos, err := parseInterleaved(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			fs.Usage()
			return fmt.Errorf("iso18626 post needs FILE")
		}
		var doc []byte
		if pos[0] == "-" {
			doc, err = io.ReadAll(os.Stdin)
		} else {
			doc, err = os.ReadFile(pos[0])
		}
		if err != nil {
			return err
		}
		c, err := member.PostAs(ctx, nil, *hub, doc, *symbol, *secret)
		if err != nil {
			return err
		}
		if c.ConfirmationHeader.MessageStatus != iso18626.StatusOK {
			return fmt.Errorf("the hub answered ERROR: %s: %s", c.ErrorData.ErrorType, c.ErrorData.ErrorValue)
		}
		fmt.Fprintf(out, "OK (requestingAgencyRequestId %s)\n", c.ConfirmationHeader.RequestingAgencyRequestID)
		return nil
	}
	return fmt.Errorf("usage: illctl iso18626 simulate|post")
}

// hubURL is the hub's ISO 18626 endpoint on this host (ILL_HTTP_ADDR).
func hubURL(cfg config.Config) string {
	addr := cfg.HTTPAddr
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	return "http://" + addr + "/iso18626"
}
