import { describe, expect, it } from "vitest";
import { isSynthforgeError } from "../../src/core/errors.js";
import {
  balanceEquation,
  checkBalanced,
  checkChemistryInText,
  convertUnits,
  massFromMoles,
  molarMass,
  molesFromMass,
  parseFormula,
  percentYield,
  stoichiometry,
} from "../../src/tools/chemistry.js";
import { ELEMENTS } from "../../src/tools/periodic-table.js";

describe("formula parser", () => {
  it.each([
    ["H2O", { H: 2, O: 1 }, 0],
    ["Ca(OH)2", { Ca: 1, O: 2, H: 2 }, 0],
    ["K4[Fe(CN)6]", { K: 4, Fe: 1, C: 6, N: 6 }, 0],
    ["[Fe(CN)6]4-", { Fe: 1, C: 6, N: 6 }, -4],
    ["CuSO4·5H2O", { Cu: 1, S: 1, O: 9, H: 10 }, 0],
    ["CuSO4*5H2O", { Cu: 1, S: 1, O: 9, H: 10 }, 0],
    ["CuSO4.5H2O", { Cu: 1, S: 1, O: 9, H: 10 }, 0],
    ["SO4^2-", { S: 1, O: 4 }, -2],
    ["SO4{2-}", { S: 1, O: 4 }, -2],
    ["SO4²⁻", { S: 1, O: 4 }, -2],
    ["SO42-", { S: 1, O: 4 }, -2],
    ["Fe3+", { Fe: 1 }, 3],
    ["NO3-", { N: 1, O: 3 }, -1],
    ["NH4+", { N: 1, H: 4 }, 1],
    ["H₂O", { H: 2, O: 1 }, 0],
    ["NaCl(aq)", { Na: 1, Cl: 1 }, 0],
    ["e-", {}, -1],
  ])("parses %s", (f, atoms, charge) => {
    expect(parseFormula(f)).toMatchObject({ atoms, charge });
  });

  it.each([
    ["Xx2", /"Xx" is not an element symbol/],
    ["Ca(OH", /"\(" is never closed/],
    ["H2O)", /unexpected "\)"/],
    ["", /empty/],
  ])("rejects %s with a message that says why", (f, re) => {
    let err: unknown;
    try {
      parseFormula(f);
    } catch (e) {
      err = e;
    }
    expect(isSynthforgeError(err, "INVALID_REQUEST")).toBe(true);
    expect((err as Error).message).toMatch(re);
  });

  it("has all 118 elements and standard molar masses", () => {
    expect(ELEMENTS.size).toBe(118);
    expect(ELEMENTS.get("Og")?.number).toBe(118);
    expect(molarMass("H2O")).toBeCloseTo(18.015, 3);
    expect(molarMass("NaCl")).toBeCloseTo(58.44, 2);
    expect(molarMass("C6H12O6")).toBeCloseTo(180.156, 2);
    expect(molarMass("CuSO4·5H2O")).toBeCloseTo(249.68, 1);
  });
});

describe("equations", () => {
  it("checks balance of atoms and charge", () => {
    expect(checkBalanced("2H2 + O2 -> 2H2O").balanced).toBe(true);
    expect(checkBalanced("Fe3+ + e- → Fe2+").balanced).toBe(true);
    expect(checkBalanced("N2 + 3H2 ⇌ 2NH3").balanced).toBe(true);
    expect(checkBalanced("H2 + O2 -> H2O")).toEqual({ balanced: false, differences: { O: [2, 1] } });
    expect(checkBalanced("Fe3+ → Fe2+").differences).toEqual({ charge: [3, 2] });
  });

  it.each([
    ["H2 + O2 -> H2O", "2H2 + O2 → 2H2O"],
    ["CH4 + O2 → CO2 + H2O", "CH4 + 2O2 → CO2 + 2H2O"],
    ["Al + O2 = Al2O3", "4Al + 3O2 → 2Al2O3"],
    ["KMnO4 + HCl -> KCl + MnCl2 + H2O + Cl2", "2KMnO4 + 16HCl → 2KCl + 2MnCl2 + 8H2O + 5Cl2"],
    ["Cu + HNO3 -> Cu(NO3)2 + NO + H2O", "3Cu + 8HNO3 → 3Cu(NO3)2 + 2NO + 4H2O"],
    ["MnO4- + Fe2+ + H+ -> Mn2+ + Fe3+ + H2O", "MnO4- + 5Fe2+ + 8H+ → Mn2+ + 5Fe3+ + 4H2O"],
  ])("balances %s", (eq, balanced) => {
    expect(balanceEquation(eq).equation).toBe(balanced);
  });

  it("refuses equations that cannot be balanced", () => {
    expect(() => balanceEquation("H2O -> H2O2")).toThrow(/cannot be balanced/);
    expect(() => balanceEquation("H2O is water")).toThrow(/needs an arrow/);
  });
});

describe("stoichiometry and units", () => {
  it("converts between grams and moles", () => {
    expect(molesFromMass(36.03, "H2O")).toBeCloseTo(2, 3);
    expect(massFromMoles(0.5, "NaCl")).toBeCloseTo(29.22, 2);
  });

  it("finds the limiting reagent and the theoretical yield", () => {
    const r = stoichiometry("2H2 + O2 -> 2H2O", { H2: { grams: 4 }, O2: { grams: 16 } });
    expect(r.limiting).toBe("O2");
    expect(r.products.H2O!.grams).toBeCloseTo(18.02, 1);
    expect(r.leftover.H2).toBeCloseTo(0.984, 2);
    // Balances an unbalanced equation first.
    const n = stoichiometry("N2 + H2 -> NH3", { N2: { moles: 1 }, H2: { moles: 6 } });
    expect(n.limiting).toBe("N2");
    expect(n.products.NH3!.moles).toBeCloseTo(2, 6);
    expect(() => stoichiometry("N2 + H2 -> NH3", { O2: { moles: 1 } })).toThrow(/not a reactant/);
    expect(percentYield(8, 10)).toBe(80);
  });

  it("converts units, including M and degrees Celsius, and refuses incompatible ones", () => {
    expect(convertUnits(25, "degC", "K")).toBeCloseTo(298.15, 6);
    expect(convertUnits(1, "atm", "kPa")).toBeCloseTo(101.325, 3);
    expect(convertUnits(2, "M", "mmol/mL")).toBeCloseTo(2, 6);
    expect(convertUnits(1, "kcal", "kJ")).toBeCloseTo(4.184, 6);
    expect(() => convertUnits(1, "g", "mol")).toThrow(/Cannot convert 1 g to mol/);
  });
});

describe("chemistry stated in prose", () => {
  it("accepts right molar masses and balanced equations", () => {
    const r = checkChemistryInText(
      "The molar mass of water (H2O) is 18.02 g/mol. Methane burns: CH4 + 2O2 → CO2 + 2H2O.",
    );
    expect(r).toMatchObject({ passed: true, details: { checked: 2 } });
  });

  it("rejects a wrong molar mass and an unbalanced equation, with the fix", () => {
    const r = checkChemistryInText("The molar mass of NaCl is 60 g/mol. Hydrogen burns: H2 + O2 → H2O.");
    expect(r?.passed).toBe(false);
    expect(r?.reasons).toEqual([
      "the molar mass of NaCl is 58.44 g/mol, not 60",
      '"H2 + O2 → H2O" is not balanced (O 2 vs 1); balanced: 2H2 + O2 → 2H2O',
    ]);
  });

  it("leaves skeleton equations said to be unbalanced, and prose arrows, alone", () => {
    expect(checkChemistryInText("The skeleton equation H2 + O2 → H2O is unbalanced.")).toBeNull();
    expect(checkChemistryInText("Reactants → products, in general.")).toBeNull();
  });
});

describe("equations the text presents as unbalanced", () => {
  it("does not flag a skeleton equation the text calls unbalanced, or one it then balances", () => {
    expect(
      checkChemistryInText(
        "Start from the skeleton equation H2 + O2 → H2O. This equation is not balanced: there are two O atoms on the left and one on the right.",
      ),
    ).toBeNull();
    expect(
      checkChemistryInText("First write Fe + O2 → Fe2O3. Then balance it: 4Fe + 3O2 → 2Fe2O3.")?.passed,
    ).toBe(true);
    expect(checkChemistryInText("Burning methane: CH4 + O2 → CO2 + H2O.")).toMatchObject({
      passed: false,
      defect: "wrong_fact",
    });
  });

  it("leaves half-equations with electrons alone", () => {
    expect(checkChemistryInText("At the anode water is split: 2H2O → 4H+ + 4e− + O2.")).toBeNull();
    expect(checkChemistryInText("Reduction: Cu2+ + 2e- → Cu.")).toBeNull();
  });
});
