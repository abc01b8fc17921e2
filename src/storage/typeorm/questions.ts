import { SynthforgeError } from "../../core/errors.js";
import { newId } from "../../core/ids.js";
import { QUESTION_STATUSES, type QuestionStatus, TERMINAL_QUESTION_STATUSES } from "../../core/types.js";
import { ENTITY_NAMES, type QuestionLease } from "../entities.js";
import type {
  CandidateLease,
  ClaimOptions,
  FailureRow,
  NewQuestion,
  QuestionKey,
  QuestionPatch,
  QuestionRow,
  QuestionStore,
} from "../store.js";
import { In, IsNull, Not } from "../typeorm-lazy.js";
import { StoreContext } from "./context.js";
import { fastUpdate } from "./fast-sql.js";
import { rowMapper } from "./rows.js";
import {
  chunks,
  columns,
  countsOf,
  definedOnly,
  INSERT_CHUNK,
  LOOKUP_CHUNK,
  positiveInt,
  toDate,
  toNumber,
} from "./values.js";

/**
 * The `questions` table: the candidate queue, its leases and re-queueing
 * ({@link QuestionStore}; `fenced` is the store's transaction around {@link TypeormQuestionStore.fence}).
 *
 * @internal
 */
export class TypeormQuestionStore extends StoreContext implements Omit<QuestionStore, "fenced"> {
  /** Inserts questions (status `pending`) in one transaction, in chunks of 500 rows. */
  async insertQuestions(rows: NewQuestion[]): Promise<void> {
    if (rows.length === 0) return;
    const now = new Date();
    const full: QuestionRow[] = rows.map((q) => ({
      id: q.id,
      runId: q.runId,
      topic: q.topic,
      subTopic: q.subTopic,
      difficulty: q.difficulty,
      text: q.text,
      textHash: q.textHash,
      status: "pending",
      groundTruthContext: null,
      synthesizedContext: null,
      contextSources: null,
      revisions: 0,
      createdAt: now,
      updatedAt: now,
    }));
    await this.atomic(async (m) => {
      for (const part of chunks(full, INSERT_CHUNK)) {
        await m
          .createQueryBuilder()
          .insert()
          .into(this.e.question)
          .values(part.map(columns))
          .updateEntity(false)
          .execute();
      }
    });
  }

  async getQuestion(id: string): Promise<QuestionRow | null> {
    const row = await this.op((m) => m.findOneBy(this.e.question, { id }));
    return row ? rowMapper<QuestionRow>(this.e.question)(row) : null;
  }

  /**
   * Updates a question (a no-op when it does not exist). Approving one is refused with
   * `QUOTA_FULL` when its run already has its target of approved questions: checked in
   * the same transaction, under the run's row lock on PostgreSQL (the lock claims take),
   * so no interleaving of runners, leases and pauses can approve more than N.
   */
  async updateQuestion(id: string, patch: QuestionPatch): Promise<void> {
    // A question that is done holds no lease (claims count the leased ones).
    const done = patch.status !== undefined && TERMINAL_QUESTION_STATUSES.includes(patch.status);
    const values = {
      ...definedOnly(patch),
      ...(done ? { leaseOwner: null, leaseExpiresAt: null } : {}),
      updatedAt: new Date(),
    };
    if (patch.status !== "approved") {
      await this.op((m) => fastUpdate(m, this.e.question, { id }, values));
      return;
    }
    await this.atomic(async (m) => {
      const q = await m.findOne(this.e.question, { select: { runId: true, status: true }, where: { id } });
      if (q && q.status !== "approved") {
        // NO KEY UPDATE: serialises approvals and claims of the run, and does not conflict
        // with the key-share locks that inserting reviews and failures takes on the run.
        if (this.kind === "postgres")
          await m.query("SELECT id FROM runs WHERE id = $1 FOR NO KEY UPDATE", [q.runId]);
        const run = await m.findOne(this.e.run, { select: { targetCount: true }, where: { id: q.runId } });
        const approved = await m.count(this.e.question, { where: { runId: q.runId, status: "approved" } });
        if (run && approved >= toNumber(run.targetCount))
          throw new SynthforgeError(
            "QUOTA_FULL",
            `Run ${q.runId} already has its ${toNumber(run.targetCount)} approved examples; candidate ${id} was not approved.`,
          );
      }
      await fastUpdate(m, this.e.question, { id }, values);
    });
  }

  async listQuestions(
    runId: string,
    filter: { status?: QuestionStatus[]; subTopic?: string; limit?: number } = {},
  ): Promise<QuestionRow[]> {
    if (filter.status && filter.status.length === 0) return [];
    const rows = await this.op((m) =>
      m.find(this.e.question, {
        where: {
          runId,
          ...(filter.status ? { status: In(filter.status) } : {}),
          ...(filter.subTopic !== undefined ? { subTopic: filter.subTopic } : {}),
        },
        order: { createdAt: "ASC", id: "ASC" },
        ...(filter.limit !== undefined ? { take: positiveInt(filter.limit, 1) } : {}),
      }),
    );
    return rows.map(rowMapper<QuestionRow>(this.e.question));
  }

  async listQuestionKeys(runId: string): Promise<QuestionKey[]> {
    const rows = await this.op((m) =>
      m
        .createQueryBuilder(this.e.question, "q")
        .select("q.id", "id")
        .addSelect("q.subTopic", "subTopic")
        .addSelect("q.text", "text")
        .addSelect("q.textHash", "textHash")
        .addSelect("q.status", "status")
        .where("q.runId = :runId", { runId })
        .orderBy("q.createdAt", "ASC")
        .addOrderBy("q.id", "ASC")
        .getRawMany<QuestionKey>(),
    );
    return rows.map((r) => ({
      id: r.id,
      subTopic: r.subTopic,
      text: r.text,
      textHash: r.textHash,
      status: r.status,
    }));
  }

  async countQuestions(runId: string): Promise<Record<QuestionStatus, number>> {
    const raw = await this.op((m) =>
      m
        .createQueryBuilder(this.e.question, "q")
        .select("q.status", "status")
        .addSelect("COUNT(*)", "n")
        .where("q.runId = :runId", { runId })
        .groupBy("q.status")
        .getRawMany<{ status: string; n: number | string }>(),
    );
    return countsOf(QUESTION_STATUSES, raw);
  }

  async requeueFailed(runId: string): Promise<{ requeued: number; failures: number }> {
    return this.atomic(async (m) => {
      const open = await m
        .createQueryBuilder(this.e.failure, "f")
        .innerJoin(ENTITY_NAMES.question, "q", "q.id = f.question_id")
        .select("f.id", "id")
        .addSelect("f.question_id", "questionId")
        .where("f.run_id = :runId", { runId })
        .andWhere("f.retried_at IS NULL")
        .andWhere("q.status IN (:...dropped)", { dropped: ["rejected", "failed"] })
        .getRawMany<{ id: string; questionId: string }>();
      if (open.length === 0) return { requeued: 0, failures: 0 };
      const qids = [...new Set(open.map((f) => f.questionId))];
      const now = new Date();
      let requeued = 0;
      for (const part of chunks(qids, LOOKUP_CHUNK)) {
        const rows = await m.findBy(this.e.question, { id: In(part) });
        rows.sort(
          (a, b) => toDate(a.createdAt).getTime() - toDate(b.createdAt).getTime() || (a.id < b.id ? -1 : 1),
        );
        const copies = rows.map((q) => {
          const researched = q.groundTruthContext !== null && q.groundTruthContext !== undefined;
          return columns({
            id: newId("q"),
            runId: q.runId,
            topic: q.topic,
            subTopic: q.subTopic,
            difficulty: q.difficulty,
            text: q.text,
            textHash: q.textHash,
            status: (researched ? "researched" : "pending") as QuestionStatus,
            groundTruthContext: researched ? q.groundTruthContext : null,
            synthesizedContext: researched ? (q.synthesizedContext ?? null) : null,
            contextSources: researched ? (q.contextSources ?? null) : null,
            revisions: 0,
            createdAt: now,
            updatedAt: now,
            leaseOwner: null,
            leaseExpiresAt: null,
          });
        });
        if (copies.length) {
          await m
            .createQueryBuilder()
            .insert()
            .into(this.e.question)
            .values(copies)
            .updateEntity(false)
            .execute();
        }
        requeued += copies.length;
      }
      for (const part of chunks(
        open.map((f) => f.id),
        LOOKUP_CHUNK,
      )) {
        await m.update(this.e.failure, { id: In(part) }, columns<FailureRow>({ retriedAt: now }));
      }
      return { requeued, failures: open.length };
    });
  }

  async claimQuestions(runId: string, opts: ClaimOptions): Promise<QuestionRow[]> {
    const limit = Math.floor(opts.limit);
    if (limit <= 0) return [];
    const statuses = opts.statuses ?? ["researched", "generated", "needs_revision", "pending"];
    if (statuses.length === 0) return [];
    return this.atomic(async (m) => {
      const now = new Date();
      if (this.kind === "postgres") {
        // Serialises the claims of one run across processes: counting and claiming are one step.
        await m.query("SELECT id FROM runs WHERE id = $1 FOR NO KEY UPDATE", [runId]);
      }
      // Each count and read walks an index range (the claim-indexes and claim-sub-topic-index
      // migrations): approved candidates per sub-topic from a covering index, leased ones from
      // the lease index, so a claim reads no question row it does not take.
      const perSubTopic = async (where: string, params: Record<string, unknown>) => {
        const raw = await m
          .createQueryBuilder(this.e.question, "q")
          .select("q.sub_topic", "subTopic")
          .addSelect("COUNT(*)", "n")
          .where("q.run_id = :runId", { runId })
          .andWhere(where, params)
          .groupBy("q.sub_topic")
          .getRawMany<{ subTopic: string; n: string | number }>();
        return raw.map((r) => ({ subTopic: r.subTopic, n: Number(r.n) }));
      };
      const approvedBy = await perSubTopic("q.status = :approved", { approved: "approved" });
      const leasedBy = await perSubTopic("q.lease_expires_at > :now AND q.status NOT IN (:...terminal)", {
        now,
        terminal: [...TERMINAL_QUESTION_STATUSES],
      });
      const sum = (rows: Array<{ n: number }>) => rows.reduce((s, r) => s + r.n, 0);
      const approved = sum(approvedBy);
      const leased = sum(leasedBy);
      const room = opts.target - approved - leased;
      const take = Math.min(limit, room);
      if (take <= 0) return [];
      // Candidates in work first (oldest first), then new ones (pending, oldest first). One
      // read per status, each an ordered walk of the (run, status, created_at, id) index.
      const oldest = async (status: QuestionStatus, n: number) => {
        const qb = m
          .createQueryBuilder(this.e.question, "q")
          .where("q.run_id = :runId AND q.status = :status", { runId, status })
          .andWhere("(q.lease_expires_at IS NULL OR q.lease_expires_at <= :now)", { now })
          .orderBy("q.created_at", "ASC")
          .addOrderBy("q.id", "ASC")
          .limit(n);
        if (this.kind === "postgres") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
        return qb.getMany();
      };
      /**
       * New candidates under sub-topic quotas: per sub-topic, room is quota + slack minus its
       * approved and leased candidates; the sub-topics with the most room below their quota
       * go first (plan order on ties), each giving its oldest pending candidates.
       */
      const pendingByQuota = async (
        n: number,
        quotas: NonNullable<ClaimOptions["quotas"]>,
      ): Promise<QuestionRow[]> => {
        const used = new Map<string, number>();
        for (const h of [...approvedBy, ...leasedBy]) used.set(h.subTopic, (used.get(h.subTopic) ?? 0) + h.n);
        const names = Object.keys(quotas.bySubTopic);
        const order = names
          .map((name, i) => ({ name, i, short: quotas.bySubTopic[name]! - (used.get(name) ?? 0) }))
          .sort((a, b) => b.short - a.short || a.i - b.i);
        const out: QuestionRow[] = [];
        for (const { name, short } of order) {
          const room = Math.min(n - out.length, short + quotas.slack);
          if (room <= 0) continue;
          const qb = m
            .createQueryBuilder(this.e.question, "q")
            .where("q.run_id = :runId AND q.status = :status AND q.sub_topic = :sub", {
              runId,
              status: "pending",
              sub: name,
            })
            .andWhere("(q.lease_expires_at IS NULL OR q.lease_expires_at <= :now)", { now })
            .orderBy("q.created_at", "ASC")
            .addOrderBy("q.id", "ASC")
            .limit(room);
          if (this.kind === "postgres") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
          out.push(...(await qb.getMany()));
          if (out.length >= n) break;
        }
        // Questions of a sub-topic the plan does not name are not held back.
        if (out.length < n) {
          const qb = m
            .createQueryBuilder(this.e.question, "q")
            .where("q.run_id = :runId AND q.status = :status", { runId, status: "pending" })
            .andWhere("(q.lease_expires_at IS NULL OR q.lease_expires_at <= :now)", { now })
            .orderBy("q.created_at", "ASC")
            .addOrderBy("q.id", "ASC")
            .limit(n - out.length);
          if (names.length) qb.andWhere("q.sub_topic NOT IN (:...names)", { names });
          if (this.kind === "postgres") qb.setLock("pessimistic_write").setOnLocked("skip_locked");
          out.push(...(await qb.getMany()));
        }
        return out;
      };
      const byAge = (a: QuestionRow, b: QuestionRow) =>
        a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const rows: QuestionRow[] = [];
      for (const status of statuses) if (status !== "pending") rows.push(...(await oldest(status, take)));
      rows.sort(byAge).splice(take);
      if (rows.length < take && statuses.includes("pending")) {
        if (opts.quotas) rows.push(...(await pendingByQuota(take - rows.length, opts.quotas)));
        else rows.push(...(await oldest("pending", take - rows.length)));
      }
      if (rows.length === 0) return [];
      const expires = new Date(now.getTime() + opts.leaseMs);
      await m.update(
        this.e.question,
        { id: In(rows.map((r) => r.id)) },
        columns<QuestionRow & QuestionLease>({ leaseOwner: opts.owner, leaseExpiresAt: expires }),
      );
      return rows.map(rowMapper<QuestionRow>(this.e.question));
    });
  }

  async renewLeases(ids: string[], owner: string, leaseMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const held: string[] = [];
    for (const part of chunks(ids, LOOKUP_CHUNK)) {
      await this.atomic(async (m) => {
        const expires = new Date(Date.now() + leaseMs);
        // The owner is the fencing token: a lease that lapsed without anyone claiming the
        // candidate is still this runner's (approvals are capped at N by updateQuestion).
        await m.update(
          this.e.question,
          { id: In(part), leaseOwner: owner },
          columns<QuestionRow & QuestionLease>({ leaseExpiresAt: expires }),
        );
        const rows = await m.find(this.e.question, {
          select: { id: true },
          where: { id: In(part), leaseOwner: owner },
        });
        held.push(...rows.map((r) => r.id));
      });
    }
    return held;
  }

  /**
   * The fence of {@link QuestionStore.fenced}, the first statement of its transaction (this
   * store must be that transaction's): checks and extends the candidate's lease by
   * compare-and-set on `lease_owner`, and throws `LEASE_LOST`, having written nothing,
   * when another runner holds it.
   */
  async fence(lease: CandidateLease): Promise<void> {
    const affected = await this.op((m) =>
      fastUpdate(
        m,
        this.e.question,
        { id: lease.questionId, leaseOwner: lease.owner },
        { leaseExpiresAt: new Date(Date.now() + lease.leaseMs) },
      ),
    );
    if (affected !== 1)
      throw new SynthforgeError(
        "LEASE_LOST",
        `The lease on candidate ${lease.questionId} is no longer held by ${lease.owner} (it expired or another runner took the candidate); the write was dropped.`,
        { details: { questionId: lease.questionId, owner: lease.owner } },
      );
  }

  async releaseQuestion(id: string, owner: string): Promise<void> {
    await this.op((m) =>
      fastUpdate(m, this.e.question, { id, leaseOwner: owner }, { leaseOwner: null, leaseExpiresAt: null }),
    );
  }

  async releaseLeases(runId: string): Promise<number> {
    const res = await this.op((m) =>
      m.update(
        this.e.question,
        { runId, leaseOwner: Not(IsNull()) },
        columns<QuestionRow & QuestionLease>({ leaseOwner: null, leaseExpiresAt: null }),
      ),
    );
    return res.affected ?? 0;
  }
}
