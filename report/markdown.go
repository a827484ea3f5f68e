package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// plotsDir is the folder, inside the report directory, that holds the
// charts report.md shows.
const plotsDir = "plots"

func chartFile(c chart) string { return plotsDir + "/" + c.ID + ".svg" }

func writeMarkdown(w io.Writer, pg *page) error {
	p := pg.p
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", p.Title)
	var meta []string
	if !p.Date.IsZero() {
		meta = append(meta, p.Date.UTC().Format(time.RFC1123))
	}
	if p.Machine != "" {
		meta = append(meta, p.Machine)
	}
	meta = append(meta, fmt.Sprintf("seed %d", p.Seed))
	b.WriteString(strings.Join(meta, " · ") + "\n")
	if p.Command != "" {
		fmt.Fprintf(&b, "\nCommand: `%s`\n", p.Command)
	}
	if p.Quick {
		b.WriteString("\n> This is a **quick** run: fewer epochs and trials than the full study, so its numbers are lower than a full run's.\n")
	}
	b.WriteString("\n## Comparison\n\n")
	writeMarkdownTable(&b, p)
	b.WriteString("\nTest-set scores; precision, recall and F1 are macro averages over the ten digits. “seed reported” is the accuracy the original study gave for that row. The row in bold is shown in detail below.")
	if p.Timing != "" {
		b.WriteString(" Training time: " + p.Timing)
	}
	b.WriteString("\n")

	b.WriteString("\n## Analysis\n\n")
	for _, f := range pg.Findings {
		fmt.Fprintf(&b, "- **%s.** %s\n", topicTitle[f.Topic], f.Text)
	}
	if len(pg.Overfit) > 0 {
		b.WriteString("\n### Train and validation at the last epoch\n\n")
		b.WriteString("| model | train acc | val acc | gap (points) | lowest val loss | at epoch | last val loss | val loss rising? |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---|\n")
		for _, o := range pg.Overfit {
			rising := "no"
			if o.Rising {
				rising = "**yes**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %d | %s | %s |\n", mdEscape(o.Model), o.TrainAcc, o.ValAcc, o.Gap, o.MinValLoss, o.MinValLossEpoch, o.LastLoss, rising)
		}
	}
	section := func(title, id string) {
		cs := pg.chartsIn(id)
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n## %s\n", title)
		for _, c := range cs {
			fmt.Fprintf(&b, "\n![%s](%s)\n\n%s\n", mdEscape(c.Title), chartFile(c), c.Caption)
		}
	}
	section("Learning curves", "curves")
	section("Confusion matrix", "confusion")
	section("Most confident mistakes", "mistakes")
	section("Accuracy against training time", "speed")
	section("Hyperparameter search", "search")
	if len(pg.Trials) > 0 {
		if len(pg.chartsIn("search")) == 0 {
			b.WriteString("\n## Hyperparameter search\n")
		}
		b.WriteString("\n| # | parameters | val accuracy | seconds |\n|---:|---|---:|---:|\n")
		for _, t := range pg.Trials {
			fmt.Fprintf(&b, "| %d | %s | %s | %s |\n", t.Rank, mdEscape(t.Params), t.ValAcc, t.Seconds)
		}
	}
	section("Learning-rate schedule", "schedule")
	if len(pg.Ensemble) > 0 {
		b.WriteString("\n## Voting ensembles\n\n| ensemble | vote | members | accuracy | best member | its accuracy | difference (points) |\n|---|---|---|---:|---|---:|---:|\n")
		for _, e := range pg.Ensemble {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", mdEscape(e.Name), e.Method, mdEscape(e.Members), e.Accuracy, mdEscape(e.BestMember), e.BestMemberAccuracy, e.Diff)
		}
	}
	b.WriteString("\nEvery number here is in `results.json`; `report.html` has the same content as one self-contained page.\n")
	_, err := io.WriteString(w, b.String())
	return err
}
