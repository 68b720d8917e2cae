import assert from "node:assert/strict";
import { DAY_MS, NOW, server } from "./_test_util.ts";
import { createCertificateAuthority } from "./issue.ts";
import { readCertificate } from "./read.ts";
import { needsRenewal, renewalTime, renewalTimeOf } from "./renewal.ts";

Deno.test("needsRenewal() turns true at two thirds of the lifetime", async () => {
  // notBefore 2030-03-04T05:05:07Z (a minute back), notAfter 2030-03-07T05:06:07Z: 4321 minutes,
  // two thirds of which are 2880 min 40 s.
  const made = await createCertificateAuthority({ commonName: "renew", validityDays: 3, now: NOW });
  const info = await readCertificate(made.certPem);
  assert.deepEqual(info.notBefore, new Date("2030-03-04T05:05:07Z"));
  assert.deepEqual(info.notAfter, new Date("2030-03-07T05:06:07Z"));
  const boundary = new Date("2030-03-06T05:05:47Z");
  assert.deepEqual(await renewalTime(made.certPem), boundary);
  assert.deepEqual(await renewalTime(info), boundary);
  assert.equal(await needsRenewal(made.certPem, NOW), false);
  assert.equal(await needsRenewal(info, new Date(boundary.getTime() - 1)), false);
  assert.equal(await needsRenewal(info, boundary), true);
  assert.equal(await needsRenewal(made.certPem, new Date(boundary.getTime() + 1)), true);
  assert.equal(await needsRenewal(info, new Date(info.notBefore.getTime() - DAY_MS)), false);
});

Deno.test("needsRenewal() is true for an expired certificate, whatever the fraction", async () => {
  const info = await readCertificate(server.certPem);
  const later = new Date(info.notAfter.getTime() + 1);
  assert.equal(await needsRenewal(info, later), true);
  assert.equal(await needsRenewal(info, later, 1), true);
  assert.equal(await needsRenewal(info, info.notAfter, 1), true);
  assert.equal(await needsRenewal(info, new Date(info.notAfter.getTime() - 1), 1), false);
});

Deno.test("needsRenewal() and renewalTime() honour a custom fraction", async () => {
  const info = {
    ...await readCertificate(server.certPem),
    notBefore: new Date("2030-01-01T00:00:00Z"),
    notAfter: new Date("2030-01-11T00:00:00Z"),
  };
  assert.deepEqual(await renewalTime(info, 0.5), new Date("2030-01-06T00:00:00Z"));
  assert.deepEqual(await renewalTime(info, 1), info.notAfter);
  assert.equal(await needsRenewal(info, new Date("2030-01-05T23:59:59Z"), 0.5), false);
  assert.equal(await needsRenewal(info, new Date("2030-01-06T00:00:00Z"), 0.5), true);
  // Default 2/3 of 10 days.
  assert.deepEqual(await renewalTime(info), new Date(Date.UTC(2030, 0, 1) + Math.floor(10 * DAY_MS * 2 / 3)));
});

Deno.test("needsRenewal() and renewalTime() refuse a fraction outside (0, 1] and an invalid now", async () => {
  for (const fraction of [0, -0.5, 1.5, NaN]) {
    await assert.rejects(renewalTime(server.certPem, fraction), {
      name: "RangeError",
      message: `Cannot compute renewal time: fraction ${fraction} is not in (0, 1]`,
    });
    await assert.rejects(needsRenewal(server.certPem, new Date(), fraction), RangeError);
  }
  await assert.rejects(needsRenewal(server.certPem, new Date("garbage")), {
    name: "RangeError",
    message: "Cannot check certificate renewal: now Invalid Date is not a valid Date",
  });
});

Deno.test("renewalTimeOf() applies the rule of renewalTime() to a known window, without parsing", async () => {
  const window = { notBefore: new Date("2030-01-01T00:00:00Z"), notAfter: new Date("2030-01-04T00:00:00Z") };
  assert.deepEqual(renewalTimeOf(window), new Date("2030-01-03T00:00:00Z"));
  assert.deepEqual(renewalTimeOf(window, 1), window.notAfter);
  assert.deepEqual(renewalTimeOf(window, 0.5), new Date("2030-01-02T12:00:00Z"));
  assert.throws(() => renewalTimeOf(window, 0), /fraction 0 is not in \(0, 1\]/);
  const info = await readCertificate(server.certPem);
  assert.deepEqual(renewalTimeOf(info), await renewalTime(server.certPem));
});
