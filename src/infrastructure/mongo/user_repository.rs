use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{doc, Document};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use shaku::Component;

use super::errors::{bounded, translate};
use super::product_document::to_bson_time;
use crate::domain::error::RepositoryError;
use crate::domain::ports::UserRepository;
use crate::domain::user::{Email, NewUser, PasswordHash, Role, User, UserId};

const COLLECTION: &str = "users";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserDocument {
    #[serde(rename = "_id")]
    id: ObjectId,
    email: String,
    name: Option<String>,
    roles: Vec<String>,
    password_hash: String,
    created_at: mongodb::bson::DateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sessions_valid_from: Option<mongodb::bson::DateTime>,
}

impl UserDocument {
    fn into_user(self) -> Result<User, RepositoryError> {
        let corrupt = |field: &str| {
            RepositoryError::Unexpected(format!("stored user has an invalid {field}").into())
        };
        Ok(User {
            id: UserId::parse(&self.id.to_hex()).map_err(|_| corrupt("id"))?,
            email: Email::parse(&self.email).map_err(|_| corrupt("email"))?,
            name: self.name,
            roles: self.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            password_hash: PasswordHash::new(self.password_hash),
            created_at: DateTime::from_timestamp_millis(self.created_at.timestamp_millis())
                .ok_or_else(|| corrupt("createdAt"))?,
            sessions_valid_from: self
                .sessions_valid_from
                .map(|at| {
                    DateTime::from_timestamp_millis(at.timestamp_millis())
                        .ok_or_else(|| corrupt("sessionsValidFrom"))
                })
                .transpose()?,
        })
    }
}

/// `UserRepository` on MongoDB; the unique index on the normalised e-mail enforces
/// case-insensitive uniqueness even under concurrent registrations.
#[derive(Component)]
#[shaku(interface = UserRepository)]
pub struct MongoUserRepository {
    database: Database,
    timeout: Duration,
}

impl MongoUserRepository {
    pub async fn ensure_indexes(database: &Database) -> Result<(), RepositoryError> {
        let unique = IndexOptions::builder().unique(true).build();
        let index = IndexModel::builder()
            .keys(doc! { "email": 1 })
            .options(unique)
            .build();
        database
            .collection::<Document>(COLLECTION)
            .create_index(index)
            .await
            .map_err(translate)?;
        Ok(())
    }

    fn collection(&self) -> Collection<UserDocument> {
        self.database.collection(COLLECTION)
    }
}

fn roles(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_owned()).collect()
}

fn now() -> mongodb::bson::DateTime {
    to_bson_time(Utc::now())
}

#[async_trait]
impl UserRepository for MongoUserRepository {
    #[tracing::instrument(name = "mongo.user.insert", level = "debug", skip_all)]
    async fn insert(&self, user: NewUser) -> Result<User, RepositoryError> {
        let document = UserDocument {
            id: ObjectId::new(),
            email: user.email.as_str().to_owned(),
            name: user.name,
            roles: roles(&user.roles),
            password_hash: user.password_hash.as_str().to_owned(),
            created_at: now(),
            sessions_valid_from: None,
        };
        bounded(self.timeout, self.collection().insert_one(&document)).await?;
        document.into_user()
    }

    #[tracing::instrument(name = "mongo.user.find_by_email", level = "debug", skip_all)]
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, RepositoryError> {
        bounded(
            self.timeout,
            self.collection().find_one(doc! { "email": email.as_str() }),
        )
        .await?
        .map(UserDocument::into_user)
        .transpose()
    }

    #[tracing::instrument(name = "mongo.user.find_by_id", level = "debug", skip_all)]
    async fn find_by_id(&self, id: &UserId) -> Result<Option<User>, RepositoryError> {
        let Ok(id) = ObjectId::parse_str(id.as_str()) else {
            return Ok(None);
        };
        bounded(self.timeout, self.collection().find_one(doc! { "_id": id }))
            .await?
            .map(UserDocument::into_user)
            .transpose()
    }

    #[tracing::instrument(name = "mongo.user.ensure_admin", level = "debug", skip_all)]
    async fn ensure_admin(
        &self,
        email: &Email,
        password_hash: PasswordHash,
    ) -> Result<User, RepositoryError> {
        let update = doc! {
            "$set": { "passwordHash": password_hash.as_str(), "sessionsValidFrom": now() },
            "$addToSet": { "roles": { "$each": ["admin", "customer"] } },
            "$setOnInsert": { "_id": ObjectId::new(), "name": "Administrator", "createdAt": now() },
        };
        bounded(
            self.timeout,
            self.collection()
                .find_one_and_update(doc! { "email": email.as_str() }, update)
                .upsert(true)
                .return_document(ReturnDocument::After),
        )
        .await?
        .ok_or_else(|| RepositoryError::Unexpected("upsert returned no document".into()))?
        .into_user()
    }
}
