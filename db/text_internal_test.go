package db

import "testing"

func TestSettingsExprsSpeltOutMatchTheGeneralForm(t *testing.T) {
	for _, alias := range []string{"cfg", "prev", "upd"} {
		want := alias + ".auto_reassign_on_decline, " + alias + ".max_auto_reassign_attempts, " +
			alias + ".assignment_expiration_days, " + alias + ".send_reminder_before_expiry_days"
		if got := settingsExprs(alias); got != want {
			t.Errorf("settingsExprs(%q) = %q, want %q", alias, got, want)
		}
	}
}

func TestSQLTextFromAReleasedBufferStartsEmpty(t *testing.T) {
	pg := &Store{prep: &stmtCache{}}
	for i := range 3 {
		q := pg.text()
		q.sql("SELECT ").arg(1).sql(", ").arg(2)
		if got := q.String(); got != "SELECT $1, $2" {
			t.Fatalf("round %d: %q", i, got)
		}
		q.release()
	}
	lite := &Store{}
	q := lite.text()
	q.sql("SELECT ").list([]int64{1, 2})
	if got := q.String(); got != "SELECT (?, ?)" {
		t.Fatalf("sqlite text: %q", got)
	}
}
