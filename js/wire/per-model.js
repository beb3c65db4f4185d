// One object per widget model, whatever the number of its views: anywidget's `initialize` and each `render`
// get different proxies of the same model, so objects are kept by a uid the kernel gives the model (`_uid`).

/** @template Z */
export class PerModel {
  /** @param {(model: any) => Z} make */
  constructor(make) {
    this.make = make;
    /** @type {Map<string, Z>} */
    this.byUid = new Map();
  }

  /** @param {{get(name: "_uid"): string}} model @returns {Z} */
  get(model) {
    const uid = model.get("_uid");
    let zone = this.byUid.get(uid);
    if (zone === undefined) {
      zone = this.make(model);
      this.byUid.set(uid, zone);
    }
    return zone;
  }

  /** @param {{get(name: "_uid"): string}} model */
  drop(model) {
    this.byUid.delete(model.get("_uid"));
  }
}
