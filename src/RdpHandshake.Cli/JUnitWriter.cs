using System.Globalization;
using System.Xml;
using RdpHandshake.Checks;
using RdpHandshake.Recording;
using RdpHandshake.Reporting;

namespace RdpHandshake.Cli;

/// <summary>
/// Writes a probe as JUnit XML, the format CI systems display natively: one test case per step of the timeline
/// and one per expectation, in a test suite named after the target.
/// </summary>
public static class JUnitWriter
{
    public static void Write(ProbeReport report, IReadOnlyList<ExpectationResult> expectations, Stream output)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) };
        using XmlWriter xml = XmlWriter.Create(output, settings);
        int failures = report.Steps.Count(s => s.Outcome is StepOutcome.Failed or StepOutcome.Interrupted) + expectations.Count(e => !e.Passed);
        int tests = report.Steps.Count + expectations.Count;

        xml.WriteStartElement("testsuites");
        xml.WriteStartElement("testsuite");
        xml.WriteAttributeString("name", $"rdphs probe {report.Target}");
        xml.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("errors", "0");
        xml.WriteAttributeString("time", Seconds(report.Elapsed));
        xml.WriteAttributeString("timestamp", report.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));

        foreach (StepRecord step in report.Steps)
        {
            xml.WriteStartElement("testcase");
            xml.WriteAttributeString("classname", "rdphs.steps");
            xml.WriteAttributeString("name", $"{step.Index:00} {step.Name}");
            xml.WriteAttributeString("time", Seconds(step.Duration ?? TimeSpan.Zero));
            if (step.Outcome is StepOutcome.Failed or StepOutcome.Interrupted)
            {
                xml.WriteStartElement("failure");
                xml.WriteAttributeString("message", step.Summary ?? ProbeReportJson.OutcomeName(step.Outcome));
                xml.WriteAttributeString("type", report.Diagnosis?.Cause.Name ?? "failed");
                if (report.Diagnosis is { } diagnosis && diagnosis.Evidence.Step == step.Name)
                {
                    xml.WriteString($"{diagnosis.Summary}\n\n{diagnosis.Explanation}\n\nRemedy: {diagnosis.Remedy}");
                }

                xml.WriteEndElement();
            }
            else
            {
                xml.WriteElementString("system-out", step.Summary ?? string.Empty);
            }

            xml.WriteEndElement();
        }

        foreach (ExpectationResult result in expectations)
        {
            xml.WriteStartElement("testcase");
            xml.WriteAttributeString("classname", "rdphs.expectations");
            xml.WriteAttributeString("name", result.Expectation.Text);
            xml.WriteAttributeString("time", "0");
            if (!result.Passed)
            {
                xml.WriteStartElement("failure");
                xml.WriteAttributeString("message", result.Message);
                xml.WriteAttributeString("type", "expectation");
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
