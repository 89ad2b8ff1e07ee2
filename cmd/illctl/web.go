package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/balis/illhub/config"
	"github.com/balis/illhub/httpapi"
	"github.com/balis/illhub/ill"
)

// secret reads a PIN or password flag value; "-" reads one line from stdin
// (so it does not show in the process list).
func secret(v string) (string, error) {
	if v != "-" {
		return v, nil
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// reader: illctl reader add LIBRARY CARD --pin PIN [--name --email --deposit-paid]
func reader(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	if sub != "add" {
		return fmt.Errorf("usage: illctl reader add LIBRARY CARD --pin PIN [--name NAME] [--email E] [--deposit-paid]")
	}
	fs := flags("reader add LIBRARY CARD --pin PIN", "Registers a reader for the web portal (or sets a new PIN). The PIN is stored bcrypt-hashed;\n--pin - reads it from standard input.\n", args, out)
	pin := fs.String("pin", "", "the reader's PIN (4–32 characters, at most 72 bytes), or - to read it from stdin")
	name := fs.String("name", "", "reader's name")
	email := fs.String("email", "", "reader's e-mail for notices")
	deposit := fs.Bool("deposit-paid", false, "the reader has paid the deposit (R7)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("reader add needs LIBRARY and CARD")
	}
	p, err := secret(*pin)
	if err != nil {
		return err
	}
	// canonical identities, as the API and the portal store them
	lib, err := ill.CanonicalCode("library", pos[0])
	if err != nil {
		return err
	}
	card, err := ill.CanonicalCard("card", pos[1])
	if err != nil {
		return err
	}
	hash, err := httpapi.HashPIN(p)
	if err != nil {
		return err
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Library(ctx, lib); err != nil {
		return err
	}
	if err := st.PutReader(ctx, ill.Reader{Library: lib, ID: card, Name: *name, Email: *email, DepositPaid: *deposit,
		PINHash: hash}, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(out, "reader %s/%s saved\n", lib, card)
	return nil
}

// staff: illctl staff add LIBRARY USERNAME --password PW [--role staff|centre_admin] [--name N] [--disable]
func staff(ctx context.Context, cfg config.Config, sub string, args []string, out io.Writer) error {
	if sub != "add" {
		return fmt.Errorf("usage: illctl staff add LIBRARY USERNAME --password PW [--role staff|centre_admin]")
	}
	fs := flags("staff add LIBRARY USERNAME --password PW", "Creates or updates a console account. LIBRARY is a member code (role staff) or CENTRE\n(role centre_admin). The password is stored bcrypt-hashed; --password - reads it from stdin.\n", args, out)
	pw := fs.String("password", "", "password (4–32 characters, at most 72 bytes), or - to read it from stdin; empty keeps the current one")
	role := fs.String("role", "", "staff or centre_admin (default: centre_admin for CENTRE, staff otherwise)")
	name := fs.String("name", "", "display name")
	disable := fs.Bool("disable", false, "disable the account (it can no longer sign in; its open sessions end)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return fmt.Errorf("staff add needs LIBRARY and USERNAME")
	}
	lib, err := ill.CanonicalCode("library", pos[0])
	if err != nil {
		return err
	}
	user, err := ill.CanonicalUser("username", pos[1])
	if err != nil {
		return err
	}
	r := ill.StaffRole(*role)
	if r == "" {
		r = ill.StaffRoleFor(lib)
	}
	if r != ill.StaffRoleFor(lib) {
		return fmt.Errorf("staff add: role centre_admin goes with library CENTRE, role staff with a member library")
	}
	hash := ""
	if *pw != "" {
		p, err := secret(*pw)
		if err != nil {
			return err
		}
		if hash, err = httpapi.HashPIN(p); err != nil {
			return err
		}
	}
	st, err := open(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if lib != ill.CentreCode {
		if _, err := st.Library(ctx, lib); err != nil {
			return err
		}
	}
	if hash == "" {
		if _, err := st.StaffUser(ctx, lib, user); err != nil {
			return fmt.Errorf("staff add: a new account needs --password")
		}
	}
	if err := st.PutStaff(ctx, ill.Staff{Library: lib, Username: user, Name: *name, Role: r, PasswordHash: hash,
		Disabled: *disable}); err != nil {
		return err
	}
	if *disable {
		// The session lookup refuses a disabled account's sessions anyway;
		// deleting them here makes that visible at once.
		n, err := st.DeleteSessionsOf(ctx, "staff", lib, user)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "staff account %s/%s disabled, %d open sessions ended\n", lib, user, n)
		return nil
	}
	fmt.Fprintf(out, "staff account %s/%s (%s) saved\n", lib, user, r)
	return nil
}
