import { describe, expect, it } from "vitest";
import { asHostedUrl, isReply, KIND, STATE } from "./protocol.js";
import { accepts } from "../ui/picker.js";

describe("protocol", () => {
  it("recognises replies only", () => {
    expect(isReply({ kind: KIND.REPLY, rid: 1, ok: true })).toBe(true);
    expect(isReply({ kind: KIND.REPLY, rid: "1", ok: true })).toBe(false);
    expect(isReply(null)).toBe(false);
    expect(isReply({ kind: KIND.CHUNK, rid: 1, ok: true })).toBe(false);
  });
  it("takes one http(s) URL as a hosted file and nothing else", () => {
    expect(asHostedUrl("  https://example.com/a b.png")).toBeNull();
    expect(asHostedUrl("https://example.com/cat.png\n")).toBe("https://example.com/cat.png");
    expect(asHostedUrl("HTTP://example.com/x")).toBe("http://example.com/x");
    expect(asHostedUrl("javascript:alert(1)")).toBeNull();
    expect(asHostedUrl("file:///etc/passwd")).toBeNull();
    expect(asHostedUrl("look at https://example.com")).toBeNull();
  });
  it("has the seven entry states", () => {
    expect(Object.values(STATE).sort()).toEqual(["error", "paused", "ready", "receiving", "uploaded", "uploading", "waiting"]);
  });
});

describe("accepts", () => {
  const png = { name: "a.PNG", type: "image/png" };
  const pdf = { name: "doc.pdf", type: "application/pdf" };
  it("matches wildcards, exact types and extensions", () => {
    expect(accepts(png, "image/*")).toBe(true);
    expect(accepts(pdf, "image/*")).toBe(false);
    expect(accepts(pdf, "image/*, .pdf")).toBe(true);
    expect(accepts(png, ".png")).toBe(true);
    expect(accepts(pdf, "application/pdf")).toBe(true);
    expect(accepts(pdf, "")).toBe(true);
  });
});
