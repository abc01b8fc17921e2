import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pubmedSource, pubmedTerm } from "../../../src/sources/adapters/pubmed.js";
import { type FixtureServer, startFixtureServer } from "../../helpers/fixture-server.js";
import { expectWellFormed, sourceFailure, testHttp } from "./helpers.js";

/**
 * HAND-WRITTEN (not recorded): a PMC OA web service answer for one article, shaped like
 * the documented format (https://www.ncbi.nlm.nih.gov/pmc/tools/oa-service/); the shared
 * fixtures only hold the service's "identify" answer.
 */
const OA_RECORD = (id: string, licence: string) => `<OA><responseDate>2026-01-10 10:00:00</responseDate>
<request id="${id}">https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi?id=${id}</request>
<records returned-count="1" total-count="1"><record id="${id}" citation="Occup Environ Med. 2018 Feb; 75(2):79-89" license="${licence}" retracted="no">
<link format="tgz" updated="2018-04-25 10:00:00" href="ftp://ftp.ncbi.nlm.nih.gov/pub/pmc/oa_package/x.tar.gz"/></record></records></OA>`;
/** HAND-WRITTEN: the documented error answer for an article outside the OA subset. */
const OA_NOT_OPEN = (id: string) =>
  `<OA><responseDate>2026-01-10 10:00:00</responseDate><request id="${id}">https://www.ncbi.nlm.nih.gov/pmc/utils/oa/oa.fcgi?id=${id}</request><error code="idIsNotOpenAccess">identifier '${id}' is not Open Access</error></OA>`;

/**
 * HAND-WRITTEN (not recorded): an efetch article whose title and abstract carry inline
 * MathML (`<mml:math>`, as PubMed has sent since 2023), pretty-printed; none of the shared
 * fixtures has MathML. Shaped like the PubMed DTD; the first formula has no alttext, the
 * second has one.
 */
const MATHML_ARTICLE = `<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
        <PMID Version="1">38000001</PMID>
        <Article PubModel="Print-Electronic">
            <Journal>
                <JournalIssue CitedMedium="Internet">
                    <Volume>12</Volume>
                    <PubDate>
                        <Year>2024</Year>
                        <Month>0</Month>
                    </PubDate>
                </JournalIssue>
                <Title>Journal of applied physiology</Title>
            </Journal>
            <ArticleTitle>Training and <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:mrow><mml:mover accent="true"><mml:mi>V</mml:mi><mml:mo>˙</mml:mo></mml:mover><mml:msub><mml:mi mathvariant="normal">O</mml:mi><mml:mrow><mml:mn>2</mml:mn><mml:mi>max</mml:mi></mml:mrow></mml:msub></mml:mrow></mml:math> in older adults.</ArticleTitle>
            <Abstract>
                <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Maximal oxygen uptake (<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML" id="M1" display="inline" overflow="scroll">
                    <mml:mrow>
                        <mml:mover accent="true">
                            <mml:mi>V</mml:mi>
                            <mml:mo>˙</mml:mo>
                        </mml:mover>
                        <mml:msub>
                            <mml:mi mathvariant="normal">O</mml:mi>
                            <mml:mrow>
                                <mml:mn>2</mml:mn>
                                <mml:mi>m</mml:mi>
                                <mml:mi>a</mml:mi>
                                <mml:mi>x</mml:mi>
                            </mml:mrow>
                        </mml:msub>
                    </mml:mrow>
                </mml:math>) falls with age; we asked whether interval training slows that fall in older adults.</AbstractText>
                <AbstractText Label="RESULTS" NlmCategory="RESULTS">After twelve weeks the trained group gained 3.1 ml/kg/min (<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML" id="M2" alttext="p &lt; 0.001"><mml:mi>p</mml:mi><mml:mo>&lt;</mml:mo><mml:mn>0.001</mml:mn></mml:math>) while the controls did not change.</AbstractText>
            </Abstract>
            <AuthorList CompleteYN="Y">
                <Author ValidYN="Y"><LastName>Okafor</LastName><ForeName>Ada</ForeName><Initials>A</Initials></Author>
            </AuthorList>
        </Article>
    </MedlineCitation>
    <PubmedData>
        <ArticleIdList>
            <ArticleId IdType="pubmed">38000001</ArticleId>
        </ArticleIdList>
    </PubmedData>
</PubmedArticle>
</PubmedArticleSet>
`;

let server: FixtureServer;
const http = testHttp();
beforeAll(async () => {
  server = await startFixtureServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe("pubmed adapter", () => {
  it("esearch (JSON) then efetch: structured abstracts with inline markup flattened, unknown licence outside PMC", async () => {
    server.route({
      path: "/esearch.fcgi",
      reply: { file: "pubmed/esearch-pubmed-retmode-json-ml-nlp.json" },
    });
    server.route({ path: "/efetch.fcgi", reply: { file: "pubmed/efetch-pubmed-28775130-html-escapes.xml" } });
    const src = pubmedSource({ baseUrl: server.url, http, passagesPerDocument: 10, pmcLicences: false });
    const docs = await src.search("machine learning natural language processing", { limit: 3 });
    expectWellFormed(docs, "pubmed");
    const d = docs.find((x) => x.url === "https://pubmed.ncbi.nlm.nih.gov/28775130/")!;
    expect(d.title).toBe(
      "Occupational pesticide exposure and subclinical hypothyroidism among male pesticide applicators.",
    );
    expect(d.published).toBe("2018-02");
    expect(d.authors[0]).toMatch(/\w+ \w+/);
    // four labelled AbstractText sections → four passages, in order, markup flattened, entities decoded
    expect(d.passages.map((p) => p.text.slice(0, 20))).toEqual([
      "Animal studies sugge",
      "Self-reported lifeti",
      "Higher exposure to t",
      "Our results suggest ",
    ]);
    expect(d.passages[1]!.text).toContain("(TSH >4.5 mIU/L) compared with normal TSH (0.4-<4.5 mIU/L)");
    expect(d.passages[2]!.text).toContain("ORQ3=4.15");
    expect(d.licence.spdx).toBe("unknown");
    expect(d.licence.evidence).toMatch(/PMC lookup disabled.*All rights reserved/);
    expect(server.requests.some((r) => r.path.includes("oa.fcgi"))).toBe(false);
    const esearch = server.requests.find((r) => r.path === "/esearch.fcgi")!;
    expect(esearch.query.get("db")).toBe("pubmed");
    expect(esearch.query.get("term")).toBe("machine learning natural language");
    expect(esearch.query.get("tool")).toBe("synthforge");
    expect(esearch.query.get("email")).toBe("tests@example.org");
    const efetch = server.requests.find((r) => r.path === "/efetch.fcgi")!;
    expect(efetch.query.get("id")).toBe("36006759,38799249,38303468");
  });

  it("renders MathML in titles and abstracts as readable text, not token soup", async () => {
    server.route({ path: "/esearch.fcgi", reply: { json: { esearchresult: { idlist: ["38000001"] } } } });
    server.route({ path: "/efetch.fcgi", reply: { body: MATHML_ARTICLE, contentType: "text/xml" } });
    const [d] = await pubmedSource({ baseUrl: server.url, http, pmcLicences: false }).search("38000001");
    expectWellFormed([d!], "pubmed");
    expect(d!.title).toBe("Training and V\u0307O2max in older adults.");
    expect(d!.passages.map((p) => p.text)).toEqual([
      "Maximal oxygen uptake (V\u0307O2max) falls with age; we asked whether interval training slows that fall in older adults.",
      "After twelve weeks the trained group gained 3.1 ml/kg/min (p < 0.001) while the controls did not change.",
    ]);
    expect(d!.passages.some((p) => /m a x|V \. O/.test(p.text))).toBe(false);
    // <Month>0</Month>: the month is not known, so the year alone
    expect(d!.published).toBe("2024");
  });

  it("reads XML esearch answers too and skips articles without an abstract", async () => {
    server.route({ path: "/esearch.fcgi", reply: { file: "pubmed/esearch-pubmed-biopython.xml" } });
    server.route({
      path: "/efetch.fcgi",
      reply: { file: "pubmed/efetch-pubmed-12091962-9997-abstract.xml" },
    });
    const docs = await pubmedSource({ baseUrl: server.url, http }).search("biopython");
    // 12091962 has no abstract; 9997 has one
    expect(docs.map((d) => d.url)).toEqual(["https://pubmed.ncbi.nlm.nih.gov/9997/"]);
    expect(docs[0]!.published).toBe("1976-09-28");
    expect(docs[0]!.authors).toEqual(["T C Strekas"]);
    server.route({ path: "/efetch.fcgi", reply: { file: "pubmed/efetch-pubmed-11748933-11700088.xml" } });
    expectWellFormed(await pubmedSource({ baseUrl: server.url, http }).search("biopython"), "pubmed");
  });

  it("fetches no more ids than asked for (a 200-id esearch answer with WebEnv); an esummary answer is the wrong shape", async () => {
    server.route({ path: "/esearch.fcgi", reply: { file: "pubmed/esearch-pmc-ecology-retmax200.xml" } });
    server.route({
      path: "/efetch.fcgi",
      reply: { file: "pubmed/efetch-pubmed-12091962-9997-abstract.xml" },
    });
    await pubmedSource({ baseUrl: server.url, http }).search("ecology", { limit: 4 });
    expect(server.requests.find((r) => r.path === "/efetch.fcgi")!.query.get("id")).toBe(
      "7771231,7771052,7770741,7770604",
    );
    server.route({ path: "/esearch.fcgi", reply: { file: "pubmed/esummary-pmc-json-version2.json" } });
    expect(
      (await sourceFailure(pubmedSource({ baseUrl: server.url, http }).search("ecology"))).details,
    ).toMatchObject({ reason: "unexpected-shape" });
  });

  it("takes the licence from the PMC Open Access subset when the article has a PMC id", async () => {
    server.route({ path: "/esearch.fcgi", reply: { file: "pubmed/esearch-pubmed-cancer-usehistory.xml" } });
    // the recorded article carries <ArticleId IdType="pmc">PMC5771820</ArticleId>
    server.route({ path: "/efetch.fcgi", reply: { file: "pubmed/efetch-pubmed-28775130-html-escapes.xml" } });
    // a failing OA service leaves the licence unknown and the abstract in place
    server.route({ path: "/pmc/utils/oa/oa.fcgi", reply: { status: 500, body: "boom" } });
    const [failed] = await pubmedSource({ baseUrl: server.url, http }).search("pesticide thyroid");
    expect(failed!.licence.spdx).toBe("unknown");
    expect(failed!.licence.evidence).toMatch(/lookup failed.*500/);
    server.route({
      path: "/pmc/utils/oa/oa.fcgi",
      reply: { body: OA_RECORD("PMC5771820", "CC BY-NC"), contentType: "text/xml" },
    });
    const [d] = await pubmedSource({ baseUrl: server.url, http }).search("pesticide thyroid");
    expect(d!.licence).toMatchObject({
      spdx: "CC-BY-NC-4.0",
      permissive: false,
      commercialUseAllowed: false,
    });
    expect(d!.licence.evidence).toMatch(/PMC OA subset/);
    expect(server.requests.find((r) => r.path === "/pmc/utils/oa/oa.fcgi")!.query.get("id")).toBe(
      "PMC5771820",
    );

    server.route({
      path: "/pmc/utils/oa/oa.fcgi",
      reply: { body: OA_NOT_OPEN("PMC5771820"), contentType: "text/xml" },
    });
    const [closed] = await pubmedSource({ baseUrl: server.url, http }).search("pesticide thyroid");
    expect(closed!.licence.spdx).toBe("unknown");
    expect(closed!.licence.evidence).toMatch(/idIsNotOpenAccess/);

    // the service's "identify" answer (no record) leaves the licence unknown
    server.route({ path: "/pmc/utils/oa/oa.fcgi", reply: { file: "pubmed/pmc-oa-fcgi-identify.xml" } });
    const [none] = await pubmedSource({ baseUrl: server.url, http }).search("pesticide thyroid");
    expect(none!.licence.evidence).toMatch(/no record/);
  });

  it("widens to OR when the content words ANDed find nothing; [] when nothing at all", async () => {
    let n = 0;
    server.route({
      path: "/esearch.fcgi",
      reply: () =>
        ++n === 1
          ? { json: { header: {}, esearchresult: { count: "0", retmax: "0", retstart: "0", idlist: [] } } }
          : { file: "pubmed/esearch-pubmed-pnas-vol97-retstart6.xml" },
    });
    server.route({
      path: "/efetch.fcgi",
      reply: { file: "pubmed/efetch-pubmed-12091962-9997-abstract.xml" },
    });
    await pubmedSource({ baseUrl: server.url, http }).search("heme flavin interaction magnetic");
    const terms = server.requests.filter((r) => r.path === "/esearch.fcgi").map((r) => r.query.get("term"));
    expect(terms).toEqual(["heme flavin interaction magnetic", "heme OR flavin OR interaction OR magnetic"]);
    server.reset();
    server.route({
      path: "/esearch.fcgi",
      reply: { json: { header: {}, esearchresult: { count: "0", idlist: [] } } },
    });
    expect(await pubmedSource({ baseUrl: server.url, http }).search("zzqx")).toEqual([]);
  });

  it("reports E-utilities errors, HTML pages and malformed XML as failures", async () => {
    const src = pubmedSource({ baseUrl: server.url, http, apiKey: "ncbi-secret-key-123456" });
    server.route({ path: "/esearch.fcgi", reply: { json: { esearchresult: { ERROR: "Invalid query" } } } });
    const e = await sourceFailure(src.search("x y"));
    expect(e.details).toMatchObject({ reason: "api-error" });
    expect(server.requests[0]!.query.get("api_key")).toBe("ncbi-secret-key-123456");
    server.route({
      path: "/esearch.fcgi",
      reply: { status: 429, json: { error: "API rate limit exceeded", count: "11" } },
    });
    const limited = await sourceFailure(src.search("x y"));
    expect(limited.details).toMatchObject({ reason: "rate-limited", status: 429 });
    expect(limited.message).not.toContain("ncbi-secret-key-123456");
    expect(limited.message).toContain("api_key=[redacted]");
    server.route({ path: "/esearch.fcgi", reply: { file: "pubmed/esearch-pubmed-biopython.xml" } });
    server.route({
      path: "/efetch.fcgi",
      reply: {
        body: "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
        contentType: "text/html",
      },
    });
    expect((await sourceFailure(src.search("biopython"))).details).toMatchObject({
      reason: "html-error-page",
    });
    server.route({
      path: "/efetch.fcgi",
      reply: { body: "<PubmedArticleSet><PubmedArticle><MedlineCitation>", contentType: "text/xml" },
    });
    expect((await sourceFailure(src.search("biopython"))).details).toMatchObject({ reason: "malformed-xml" });
  });

  it("passes explicit PubMed syntax through", () => {
    expect(pubmedTerm('"machine learning"[Title/Abstract] AND nlp')).toBe(
      '"machine learning"[Title/Abstract] AND nlp',
    );
    expect(pubmedTerm("What causes subclinical hypothyroidism in adults?")).toBe(
      "causes subclinical hypothyroidism adults",
    );
  });
});
